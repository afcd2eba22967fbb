"""The survey page in a real headless Chromium: from the captured email's link to the #voc card.

Selenium drives Debian's `chromium` through `chromium-driver` (.ci/run installs both).
Its calls block, so they run in a thread while the app serves on the test's event loop.
Screenshots land in `artifacts/` (or $VOC_ARTIFACTS) for CI to keep.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from bot.core.runtime import Runtime
from bot.devkit.emulator import SlackEmulator
from storage.models import OutboxEvent, Response
from tests.browser import ARTIFACTS, chromium
from tests.e2e.test_email_surveys import ANA, _emailed
from tests.e2e.test_email_surveys import mail_rt as mail_rt  # noqa: F401 (a fixture)
from tests.e2e.test_email_surveys import smtp as smtp  # noqa: F401 (a fixture)
from tests.mail import SmtpServer, score_links
from tests.seed import Person

T = TypeVar("T")
pytestmark = pytest.mark.postgres


@pytest.fixture
def chrome() -> Iterator[webdriver.Chrome]:
    with chromium(375, 812) as driver:
        phone = {"width": 375, "height": 812, "deviceScaleFactor": 1, "mobile": True}
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", phone)  # below the min
        yield driver


async def _in_thread(call: Callable[..., T], *args: Any) -> T:
    return await asyncio.to_thread(call, *args)


def _wait_for(driver: webdriver.Chrome, css: str) -> WebElement:
    """The element once the page that has it has loaded (a click does not wait for it)."""
    return WebDriverWait(driver, 10).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css))
    )


def _screenshot(driver: webdriver.Chrome, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / name))


async def _response(rt: Runtime) -> Response | None:
    async with rt.db.session() as session:
        return (await session.execute(select(Response))).scalar_one_or_none()


async def test_the_emailed_link_opens_the_page_with_the_score_chosen_and_submits_once(
    mail_rt: Runtime,  # noqa: F811
    smtp: SmtpServer,  # noqa: F811
    emulator: SlackEmulator,
    chrome: webdriver.Chrome,
) -> None:
    await _emailed(mail_rt, Person(ANA))
    link = score_links(smtp.messages[0])[4]
    await _in_thread(chrome.get, link)
    radio = await _in_thread(chrome.find_element, By.ID, "score-4")
    assert await _in_thread(radio.is_selected)
    assert await _response(mail_rt) is None  # opening the page records nothing
    width = await _in_thread(chrome.execute_script, "return document.documentElement.scrollWidth")
    assert width <= 375  # no sideways scrolling on a phone
    await _in_thread(_screenshot, chrome, "survey-page-375.png")
    comment = await _in_thread(chrome.find_element, By.ID, "comment")
    await _in_thread(comment.send_keys, "Exports time out every Monday")
    button = await _in_thread(chrome.find_element, By.ID, "submit")
    await _in_thread(button.click)
    heading = await _in_thread(_wait_for, chrome, "h1#result")
    assert await _in_thread(lambda: heading.text) == "Thank you! Your answer: 4."
    await _in_thread(_screenshot, chrome, "survey-thanks-375.png")
    stored = await _response(mail_rt)
    assert stored is not None and (stored.score, stored.comment) == (
        4,
        "Exports time out every Monday",
    )
    [card] = emulator.messages("CVOC")
    assert "Exports time out every Monday" in str(card)
    async with mail_rt.db.session() as session:
        events = (await session.execute(select(OutboxEvent.type))).scalars().all()
    assert "response.created" in events
    await _in_thread(chrome.back)  # the browser's back button, then submit again
    await _in_thread(chrome.refresh)
    heading = await _in_thread(_wait_for, chrome, "h1#result")
    assert "already answered" in await _in_thread(lambda: heading.text)


def _keyboard_only(driver: webdriver.Chrome, link: str) -> str:
    """Tab to the scale, arrow to a score, tab to the comment, type, tab to send, Enter."""
    driver.get(link)
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)  # the first score
    active = driver.switch_to.active_element
    assert active.get_attribute("name") == "score"
    for _ in range(9):
        active.send_keys(Keys.ARROW_RIGHT)
        active = driver.switch_to.active_element
    assert active.get_attribute("value") == "9" and active.is_selected()
    active.send_keys(Keys.TAB)
    active = driver.switch_to.active_element
    assert active.get_attribute("id") == "comment"
    active.send_keys("Fast and friendly support")
    active.send_keys(Keys.TAB)
    active = driver.switch_to.active_element
    assert active.get_attribute("id") == "submit"
    active.send_keys(Keys.ENTER)
    return _wait_for(driver, "h1#result").text


async def test_keyboard_only_submission_and_the_promoter_asks(
    mail_rt: Runtime,  # noqa: F811
    smtp: SmtpServer,  # noqa: F811
    chrome: webdriver.Chrome,
) -> None:
    mail_rt.settings.review_url = "https://reviews.example/acme"
    await _emailed(mail_rt, Person(ANA, locale="ms-MY"))
    link = score_links(smtp.messages[0])[0].split("?")[0]  # no score chosen yet
    heading = await _in_thread(_keyboard_only, chrome, link)
    assert heading == "Terima kasih! Jawapan anda: 9."
    stored = await _response(mail_rt)
    assert stored is not None and (stored.score, stored.comment) == (
        9,
        "Fast and friendly support",
    )
    lang = await _in_thread(
        chrome.execute_script, "return document.documentElement.getAttribute('lang')"
    )
    assert lang == "ms"
    review = await _in_thread(chrome.find_element, By.CSS_SELECTOR, "a.review")
    assert await _in_thread(review.get_attribute, "href") == "https://reviews.example/acme"
    asks = await _in_thread(chrome.find_elements, By.CSS_SELECTOR, ".advocacy button")
    assert len(asks) == 2  # a reference, a testimonial
    await _in_thread(asks[0].click)
    notice = await _in_thread(_wait_for, chrome, ".notice")
    assert "Terima kasih" in await _in_thread(lambda: notice.text)
