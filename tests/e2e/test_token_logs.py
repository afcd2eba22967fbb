"""A survey link's token is a credential: no log line carries it, at any level."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import aiohttp
import pytest
from pydantic import SecretStr

from bot.core.runtime import Runtime
from bot.devkit.clock import FakeClock
from bot.scheduler import drain, run_due
from bot.services.surveys import start_relationship_campaign
from tests.mail import SmtpServer, score_links, smtp_server, unsubscribe_link
from tests.seed import Person, add_people

pytestmark = pytest.mark.postgres
ANA, BEN = "ana@acme.test", "ben@acme.test"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
async def browser() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


def _everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    """Each record's message and every value attached to it, as one text.

    The test's SMTP server (aiosmtpd, `mail.log`) is left out: it stands in for the mail
    provider, which receives the links by design.
    """
    texts = []
    for record in caplog.records:
        if record.name.startswith("mail."):
            continue
        texts.append(record.getMessage())
        texts += [repr(value) for value in vars(record).values()]
    return "\n".join(texts)


def _token(url: str) -> str:
    return url.split("/s/")[1].split("?")[0].split("/")[0]


async def test_no_log_line_carries_a_link_token_across_a_whole_email_flow(
    rt: Runtime,
    smtp: SmtpServer,
    app_url: str,
    clock: FakeClock,
    browser: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("", "bot", "handlers", "storage", "aiohttp", "aiosmtplib"):
        caplog.set_level(logging.DEBUG, logger=name)
    rt.settings.smtp_url = SecretStr(smtp.url())
    rt.settings.email_from = "Acme Feedback <feedback@acme.test>"
    rt.settings.public_url = app_url
    await add_people(rt.db, Person(ANA), Person(BEN, account="Globex"))
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    await drain(rt)
    clock.advance(rt.settings.reminder_after + timedelta(minutes=1))
    await run_due(rt)  # the reminders: a second token each
    tokens = {_token(url) for message in smtp.messages for url in score_links(message).values()}
    assert len(tokens) == 4

    first = smtp.captured.to(ANA)[0]
    link = score_links(first)[9]
    async with browser.get(link) as response:
        page = await response.text()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf, page
    form = {"csrf": csrf.group(1), "score": "9", "comment": "Great"}
    async with browser.post(link, data=form) as response:
        assert response.status == 200
    async with browser.get(f"{app_url}/s/{_token(link)}x?score=3") as response:
        assert response.status in (404, 410)  # a wrong token is not logged either
    async with aiohttp.ClientSession() as mail_client:
        ben = smtp.captured.to(BEN)[-1]
        async with mail_client.post(
            unsubscribe_link(ben), data={"List-Unsubscribe": "One-Click"}
        ) as response:
            assert response.status == 200

    logged = _everything_logged(caplog)
    assert re.search(r"(GET|POST) /s/…", logged)  # the access log wrote the route
    for token in tokens:
        assert token not in logged
