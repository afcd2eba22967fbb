"""The branded survey page in headless Chromium at 360, 412 and 1280 px, in English and
Malay: the scale in one row (two balanced rows below 360 px), nothing wider than the
screen, no focus ring on load, the brand's header; screenshots kept in `artifacts/`.
The thank-you page says what happens next."""

from __future__ import annotations

import re
from typing import Any

import aiohttp
import pytest
from selenium import webdriver

from bot.core.runtime import Runtime
from tests.e2e.test_email_surveys import _emailed
from tests.e2e.test_email_surveys import mail_rt as mail_rt  # noqa: F401 (a fixture)
from tests.e2e.test_email_surveys import smtp as smtp  # noqa: F401 (a fixture)
from tests.e2e.test_survey_browser import _in_thread, _screenshot
from tests.e2e.test_survey_browser import chrome as chrome  # noqa: F401 (a fixture)
from tests.mail import SmtpServer, score_links
from tests.seed import Person

pytestmark = pytest.mark.postgres
ANA, SITI, BEN = "ana@acme.test", "siti@acme.test", "ben@acme.test"
LAYOUT = """
const labels = [...document.querySelectorAll('.scores label')].map(l => l.getBoundingClientRect());
const overflowing = [...document.querySelectorAll('body *')].filter(e => {
  const r = e.getBoundingClientRect();
  return r.width > 0 && (r.right > innerWidth + 0.5 || r.left < -0.5);
}).map(e => e.tagName + '#' + e.id + '.' + e.className);
return {
  tops: labels.map(r => Math.round(r.top)),
  lefts: labels.map(r => Math.round(r.left)),
  widths: labels.map(r => Math.round(r.width)),
  heights: labels.map(r => Math.round(r.height)),
  scroll: document.documentElement.scrollWidth,
  inner: innerWidth,
  overflowing: overflowing,
  focused: document.querySelector(':focus-visible') ? 'yes' : 'no',
  active: document.activeElement.tagName,
  brand: document.querySelector('#brand') ? document.querySelector('#brand').innerText : '',
  brandColor: labels.length
    ? getComputedStyle(document.querySelector('.scores label')).borderTopColor : '',
};
"""


def _width(driver: webdriver.Chrome, width: int) -> None:
    metrics = {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 800}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)


def _layout(driver: webdriver.Chrome, url: str, width: int) -> dict[str, Any]:
    _width(driver, width)
    driver.get(url)
    found: dict[str, Any] = driver.execute_script(LAYOUT)
    return found


@pytest.fixture
def branded(mail_rt: Runtime) -> Runtime:  # noqa: F811
    mail_rt.settings.brand_name = "Acme"
    mail_rt.settings.brand_color = "#0f766e"  # rgb(15, 118, 110)
    mail_rt.settings.review_url = "https://reviews.example/acme"
    return mail_rt


async def test_the_scale_fits_in_one_row_from_360_px_in_both_languages(
    branded: Runtime,
    smtp: SmtpServer,  # noqa: F811
    chrome: webdriver.Chrome,  # noqa: F811
) -> None:
    await _emailed(branded, Person(ANA), Person(SITI, locale="ms-MY"))
    for lang, address in (("en", ANA), ("ms", SITI)):
        [message] = smtp.captured.to(address)
        link = score_links(message)[8]
        for width in (360, 412, 1280):
            found = await _in_thread(_layout, chrome, link, width)
            await _in_thread(_screenshot, chrome, f"survey-{lang}-{width}.png")
            where = f"{lang} at {width} px: {found}"
            assert len(set(found["tops"])) == 1, where  # one row of 11
            assert len(found["tops"]) == 11 and min(found["heights"]) >= 44, where
            assert found["scroll"] <= found["inner"] and not found["overflowing"], where
            assert found["focused"] == "no" and found["active"] == "BODY", where
            assert found["brand"] == "Acme" and found["brandColor"] == "rgb(15, 118, 110)"
        narrow = await _in_thread(_layout, chrome, link, 320)
        await _in_thread(_screenshot, chrome, f"survey-{lang}-320.png")
        rows = [narrow["tops"].count(top) for top in sorted(set(narrow["tops"]))]
        assert rows == [6, 5] and not narrow["overflowing"], narrow
        first, second = narrow["lefts"][0], narrow["lefts"][6]
        assert second - first == pytest.approx(narrow["widths"][0] / 2, abs=4)  # centred


async def _answer(base_link: str, score: int, comment: str) -> str:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        async with browser.get(base_link) as response:
            page = await response.text()
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf, page
        form = {"csrf": csrf.group(1), "score": str(score), "comment": comment}
        async with browser.post(base_link, data=form) as response:
            assert response.status == 200
            return await response.text()


async def test_the_thank_you_page_says_what_happens_next(
    branded: Runtime,
    smtp: SmtpServer,  # noqa: F811
    chrome: webdriver.Chrome,  # noqa: F811
) -> None:
    await _emailed(branded, Person(ANA), Person(SITI, locale="ms-MY"), Person(BEN))
    links = {address: score_links(smtp.captured.to(address)[0]) for address in (ANA, SITI, BEN)}

    promoter = await _answer(links[ANA][10], 10, "")
    assert "Would you share your experience in a short review?" in promoter
    assert 'href="https://reviews.example/acme"' in promoter
    assert "We read every comment." not in promoter  # none was given

    detractor = await _answer(links[SITI][2], 2, "Terlalu perlahan")
    assert "CSM anda akan menghubungi anda" in detractor
    assert "Kami membaca setiap komen." in detractor

    passive = await _answer(links[BEN][7], 7, "")
    assert "You can close this page now." in passive
    assert "We read every comment." not in passive

    for lang, address in (("en", ANA), ("ms", SITI)):
        for width in (360, 1280):
            found = await _in_thread(_layout, chrome, links[address][0].split("?")[0], width)
            await _in_thread(_screenshot, chrome, f"survey-thanks-{lang}-{width}.png")
            assert found["scroll"] <= found["inner"] and not found["overflowing"], found
