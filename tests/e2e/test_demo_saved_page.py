"""The demo's saved survey page, opened from disk in Chromium, has its stylesheet."""

from __future__ import annotations

import io
from pathlib import Path

from selenium import webdriver

from bot.devkit.demo import Demo, by_email, run_demo
from tests.e2e.test_survey_browser import _in_thread, _screenshot
from tests.e2e.test_survey_browser import chrome as chrome  # noqa: F401 (a fixture)

STYLED = """
const label = document.querySelector('.scores label');
return [getComputedStyle(label).borderTopColor, getComputedStyle(document.body).margin,
        document.styleSheets.length];
"""


async def test_the_saved_page_opened_from_disk_renders_with_its_stylesheet(
    tmp_path: Path,
    chrome: webdriver.Chrome,  # noqa: F811
) -> None:
    async def scenario(demo: Demo) -> None:
        await by_email(demo)

    await run_demo(io.StringIO(), tmp_path, scenario)
    saved = tmp_path / "survey-page.html"
    assert (tmp_path / "page.css").is_file()
    await _in_thread(chrome.get, saved.as_uri())
    border, margin, sheets = await _in_thread(chrome.execute_script, STYLED)
    await _in_thread(_screenshot, chrome, "demo-saved-survey-page.png")
    assert sheets >= 1 and margin == "0px"  # page.css's body rule, not the browser's 8px
    assert border == "rgb(29, 78, 216)"  # the default brand colour from page.css
