"""The branded survey page in headless Chromium at 360, 412 and 1280 px, in English and
Malay: the scale in one row (two balanced rows below 360 px), nothing wider than the
screen, no focus ring on load, the brand's header; screenshots kept in `artifacts/`.
A question set's follow-ups on the page are styled like the rest of it. The thank-you page
says what happens next."""

from __future__ import annotations

import re
from pathlib import Path
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
from tests.mail import SmtpServer, html_part, score_links
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


SETS = """\
surveys:
  quarterly:
    trigger: relationship
    metric: nps
    questions:
      - key: main_use
        type: choice
        text:
          en: What do you use {product} for most, day to day across your whole team?
          ms: Untuk apakah anda paling banyak menggunakan {product} setiap hari dalam pasukan?
        options:
          - en: Reporting and dashboards for leadership
            ms: Laporan dan papan pemuka untuk pengurusan
          - {en: Automation, ms: Automasi}
          - {en: Collaboration, ms: Kerjasama}
      - key: would_miss
        type: yes_no
        text: {en: "Would you miss us if we were gone?", ms: "Adakah anda akan merindui kami?"}
      - key: csm_satisfaction
        type: rating
        text:
          en: How satisfied are you with your CSM?
          ms: Sejauh manakah anda berpuas hati dengan CSM anda?
      - key: one_change
        type: text
        text:
          en: If you could change one thing, what would it be?
          ms: Jika anda boleh mengubah satu perkara, apakah ia?
"""
FOLLOW_UPS = """
const rect = e => e.getBoundingClientRect();
const main = rect(document.querySelector('main'));
const choices = [...document.querySelectorAll('.followup-choice')];
const row = sel => [...document.querySelectorAll(sel + ' .followup-choice')]
  .map(l => Math.round(rect(l).top));
const box = document.querySelector('.fq-text input');
return {
  count: document.querySelectorAll('.followup').length,
  heights: choices.map(l => Math.round(rect(l).height)),
  fonts: [...choices, box, ...document.querySelectorAll('.followup legend, .followup-label')]
    .map(e => parseFloat(getComputedStyle(e).fontSize)),
  outside: choices.concat([box]).filter(e => rect(e).right > main.right + 0.5
    || rect(e).left < main.left - 0.5).length,
  rating: row('.fq-rating'),
  yesNo: row('.fq-yes_no'),
  choice: row('.fq-choice'),
  boxBorder: getComputedStyle(box).borderTopWidth,
  sets: [...document.querySelectorAll('fieldset.followup')]
    .map(f => getComputedStyle(f).borderTopWidth + ' ' + getComputedStyle(f).paddingLeft),
  boxHeight: Math.round(rect(box).height),
};
"""


@pytest.fixture
def with_sets(branded: Runtime, tmp_path: Path) -> Runtime:
    path = tmp_path / "surveys.yaml"
    path.write_text(SETS, encoding="utf-8")
    branded.settings.surveys_file = str(path)
    branded.settings.product_name = "Acme Cloud"
    return branded


async def test_the_follow_ups_look_like_the_page_at_every_width_in_both_languages(
    with_sets: Runtime,
    smtp: SmtpServer,  # noqa: F811
    chrome: webdriver.Chrome,  # noqa: F811
) -> None:
    await _emailed(with_sets, Person(ANA), Person(SITI, locale="ms-MY"))
    for lang, address in (("en", ANA), ("ms", SITI)):
        [message] = smtp.captured.to(address)
        link = score_links(message)[8]
        for width in (360, 412, 1280):
            found = await _in_thread(_layout, chrome, link, width)
            extra: dict[str, Any] = await _in_thread(chrome.execute_script, FOLLOW_UPS)
            await _in_thread(_screenshot, chrome, f"survey-followups-{lang}-{width}.png")
            scroll = "document.querySelector('.followups').scrollIntoView()"
            await _in_thread(chrome.execute_script, scroll)
            await _in_thread(_screenshot, chrome, f"survey-followups-{lang}-{width}-below.png")
            where = f"{lang} at {width} px: {found} {extra}"
            assert extra["count"] == 4, where
            assert found["scroll"] <= found["inner"] and not found["overflowing"], where
            assert found["focused"] == "no" and found["active"] == "BODY", where
            assert len(set(found["tops"])) == 1, where  # the scale still in one row
            assert min(extra["heights"]) >= 44 and min(extra["fonts"]) >= 16, where
            assert extra["outside"] == 0, where
            assert len(set(extra["rating"])) == 1 and len(extra["rating"]) == 5, where
            assert len(set(extra["yesNo"])) == 1 and len(extra["yesNo"]) == 2, where
            assert len(set(extra["choice"])) == 3, where  # one option a line
            assert extra["boxBorder"] == "2px" and extra["boxHeight"] >= 44, where
            assert extra["sets"] == ["0px 0px"] * 3, where  # flush with the page's text


EMAIL_LAYOUT = """
const links = [...document.querySelectorAll('a')].filter(a => /^\\d+$/.test(a.innerText.trim()));
const rects = links.map(a => a.getBoundingClientRect());
return {
  scores: links.length,
  scroll: document.documentElement.scrollWidth,
  inner: innerWidth,
  outside: rects.filter(r => r.right > innerWidth + 0.5 || r.left < -0.5).length,
  smallest: Math.round(Math.min(...rects.map(r => Math.min(r.width, r.height)))),
  rows: new Set(rects.map(r => Math.round(r.top))).size,
  font: Math.min(...links.map(a => parseFloat(getComputedStyle(a).fontSize))),
  zoom: window.visualViewport.scale,
};
"""


async def test_the_survey_email_fits_a_phone_and_a_desktop_in_both_languages(
    branded: Runtime,
    smtp: SmtpServer,  # noqa: F811
    chrome: webdriver.Chrome,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The email's HTML part as a mail app shows it: the 0–10 links all on screen."""
    await _emailed(branded, Person(ANA), Person(SITI, locale="ms-MY"))
    for lang, address in (("en", ANA), ("ms", SITI)):
        [message] = smtp.captured.to(address)
        saved = tmp_path / f"email-{lang}.html"
        saved.write_text(html_part(message), encoding="utf-8")
        for width in (360, 412, 1280):
            _ = await _in_thread(_layout, chrome, saved.as_uri(), width)
            found: dict[str, Any] = await _in_thread(chrome.execute_script, EMAIL_LAYOUT)
            await _in_thread(_screenshot, chrome, f"survey-email-{lang}-{width}.png")
            where = f"{lang} at {width} px: {found}"
            assert found["scores"] == 11 and found["outside"] == 0, where
            assert found["scroll"] <= found["inner"], where
            assert found["smallest"] >= 36 and found["font"] >= 16, where
            assert found["zoom"] == 1, where  # laid out at the screen's width, not shrunk
            assert found["rows"] <= (1 if width >= 1280 else 2), where  # wraps on a phone
