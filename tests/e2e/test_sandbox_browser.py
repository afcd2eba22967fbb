"""`python -m bot sandbox` in a real headless Chromium: the page is used as people would.

A customer taps 3 and says why; the CSM claims the #voc card and logs the outcome (first
without one: the modal's error shows); "+48 h" escalates another card in its thread;
`/voc Acme: …` logs a note whose reply only the CSM sees; the admin posts the digest and its
chart shows in the thread. Selenium drives Debian's `chromium` through `chromium-driver`
in a thread while the sandbox serves on the test's event loop. Screenshots land in
`artifacts/` (or $VOC_ARTIFACTS) for CI to keep.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import (
    ElementClickInterceptedException,
    NoSuchElementException,
    StaleElementReferenceException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from blocks.ids import ActionId, VocId
from bot.devkit.sandbox import Sandbox
from tests.browser import ARTIFACTS, chromium

pytestmark = pytest.mark.slow
WAIT = 20  # seconds an element may take to show (the page polls every second)


@pytest.fixture
def chrome() -> Iterator[webdriver.Chrome]:
    with chromium(1280, 860) as driver:
        yield driver


def _visible(driver: webdriver.Chrome, xpath: str) -> WebElement:
    return WebDriverWait(driver, WAIT).until(
        expected_conditions.visibility_of_element_located((By.XPATH, xpath))
    )


def _click(driver: webdriver.Chrome, xpath: str) -> None:
    """Click once it shows; the page redraws what changed, so a found element may go stale."""

    def clicked(d: webdriver.Chrome) -> bool:
        try:
            d.find_element(By.XPATH, xpath).click()
        except (
            NoSuchElementException,
            StaleElementReferenceException,
            ElementClickInterceptedException,
        ):
            return False
        return True

    WebDriverWait(driver, WAIT).until(clicked)


def _gone(driver: webdriver.Chrome, element_id: str) -> None:
    WebDriverWait(driver, WAIT).until(
        expected_conditions.invisibility_of_element_located((By.ID, element_id))
    )


def _act_as(driver: webdriver.Chrome, user_id: str) -> None:
    Select(driver.find_element(By.ID, "acting")).select_by_value(user_id)
    _visible(driver, f"//select[@id='acting']/option[@value='{user_id}']")


def _open(driver: webdriver.Chrome, channel: str) -> None:
    _click(driver, f"//button[@data-conv='{channel}']")


def _card(account: str) -> str:
    """The XPath of the #voc card (a top-level message) about `account`."""
    return f"//div[@id='messages']/div[contains(@class,'msg') and contains(., '{account}')]"


def _shot(driver: webdriver.Chrome, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / name))


def _flow(driver: webdriver.Chrome, url: str) -> None:
    driver.get(url)
    # a customer in the workspace: tap 3 in the survey DM, then say why in the modal
    _act_as(driver, "U101")
    _visible(driver, "//h1[@id='conv-title' and text()='VoC bot']")
    _click(driver, f"//button[@data-action-id='{ActionId.RATE_PREFIX}3']")
    _click(driver, f"//button[@data-action-id='{ActionId.TELL_WHY}']")
    reason = _visible(driver, f"//*[@data-action-id='{ActionId.COMMENT_INPUT}']")
    reason.send_keys("Exports time out every Monday <b>morning</b>")
    _shot(driver, "sandbox-1-customer-modal.png")
    driver.find_element(By.ID, "modal-submit").click()
    _gone(driver, "modal-backdrop")

    # the CSM: the card in #voc, claimed; the outcome logged (first without one)
    _act_as(driver, "UCSM1")
    _open(driver, "CVOC")
    card = _card("Olivia")
    _visible(driver, card + "//*[contains(., 'Exports time out every Monday <b>morning</b>')]")
    assert not driver.find_elements(By.XPATH, card + "//b[text()='morning']")  # shown as typed
    _click(driver, card + f"//button[@data-action-id='{ActionId.CLAIM}']")
    _click(driver, card + f"//button[@data-action-id='{ActionId.LOG_FOLLOW_UP}']")
    _visible(driver, "//div[@id='modal-body']")
    driver.find_element(By.ID, "modal-submit").click()
    error = _visible(driver, "//div[@id='modal-body']//div[@class='field-error']")
    assert error.text  # the validation error shows under its field
    _shot(driver, "sandbox-2-validation-error.png")
    Select(
        driver.find_element(By.XPATH, f"//select[@data-action-id='{ActionId.OUTCOME_SELECT}']")
    ).select_by_index(1)
    note = driver.find_element(By.XPATH, f"//*[@data-action-id='{ActionId.NOTE_INPUT}']")
    note.send_keys("Called Olivia: exports fixed.")
    driver.find_element(By.ID, "modal-submit").click()
    _gone(driver, "modal-backdrop")
    _visible(driver, card + "//*[contains(., 'Called Olivia: exports fixed.')]")
    _shot(driver, "sandbox-3-card-followed-up.png")

    # two days pass: an unclaimed card escalates in its thread
    _click(driver, "//button[@data-step='48h']")
    _click(driver, _card("Amir") + "//button[@class='replies']")
    _visible(driver, "//div[@id='thread-messages']/div[contains(@class,'msg')][2]")
    _shot(driver, "sandbox-4-escalation.png")
    _click(driver, "//button[@id='thread-close']")

    # a note from a call, logged with /voc: the reply is only visible to the CSM
    composer = driver.find_element(By.ID, "composer-input")
    composer.send_keys("/voc Acme: they want SSO #feature", Keys.ENTER)
    _visible(
        driver,
        "//div[contains(@class,'eph')][.//*[contains(., 'Only visible to you')]]"
        "[contains(., 'SSO')]",
    )
    _shot(driver, "sandbox-5-voc-command.png")

    # /voc alone: the Log feedback modal, its account type-ahead and its redraw by type
    composer = driver.find_element(By.ID, "composer-input")
    composer.send_keys("/voc", Keys.ENTER)
    _visible(driver, "//h2[@id='modal-title' and text()='Log feedback']")
    said = driver.find_element(By.XPATH, f"//textarea[@data-action-id='{VocId.TEXT}']")
    said.send_keys("Dispatchers want dark mode")
    _visible(driver, f"//input[@data-suggest-for='{VocId.ACCOUNT}']").send_keys("Acme")
    _visible(driver, f"//select[@data-action-id='{VocId.ACCOUNT}']/option[contains(., 'Acme')]")
    kind = f"//select[@data-action-id='{VocId.TYPE}']"
    Select(driver.find_element(By.XPATH, kind)).select_by_visible_text("Feature request")
    feature = _visible(driver, f"//input[@data-action-id='{VocId.FEATURE}']")  # views.update
    said = driver.find_element(By.XPATH, f"//textarea[@data-action-id='{VocId.TEXT}']")
    assert said.get_attribute("value") == "Dispatchers want dark mode"  # kept on the redraw
    feature.send_keys("Dark mode")
    driver.find_element(By.ID, "modal-submit").click()
    _gone(driver, "modal-backdrop")
    _visible(driver, "//div[contains(@class,'eph')][contains(., 'Dark mode')]")

    # the App Home tab of the person acting
    _click(driver, "//button[@id='home-tab']")
    _visible(driver, "//div[@id='home']//div[contains(@class,'block')]")
    _shot(driver, "sandbox-6-home.png")
    _click(driver, "//div[@id='home']//a[@class='permalink']")  # a case's "Open the card"
    _visible(driver, "//h1[@id='conv-title' and text()='#voc']")

    # the admin posts the digest; its chart is in the thread
    _act_as(driver, "UADMIN")
    _click(driver, "//button[@id='digest-post']")
    _open(driver, "CDIGEST")
    _click(driver, "//div[@id='messages']//button[@class='replies']")
    chart = _visible(driver, "//div[@id='thread-messages']//div[@class='file']/img")
    WebDriverWait(driver, WAIT).until(
        lambda d: d.execute_script("return arguments[0].naturalWidth", chart) > 0
    )
    driver.execute_script("arguments[0].scrollIntoView()", chart)
    _shot(driver, "sandbox-7-digest.png")


async def test_the_sandbox_page_from_a_customers_tap_to_the_digest(
    tmp_path: Path, chrome: webdriver.Chrome
) -> None:
    async with Sandbox(tmp_path) as sandbox:
        await asyncio.to_thread(_flow, chrome, sandbox.url)
        # what the page did went to the app as Slack's own requests would
        texts = str(sandbox.emulator.messages("CVOC"))
        assert "Called Olivia: exports fixed." in texts
        assert sandbox.emulator.calls_to("files.completeUploadExternal", ok=True)
