"""The database unavailable for real: every endpoint answers for itself, and says it once.

`POST /hooks/events` answers 503 with `Retry-After`, the survey page its own "try again in
a minute" page with its security headers, and the log has one line per failure: no
traceback, and no value of the failing statement (an email, a link's token hash).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select, text

from bot.core.logs import FieldsFormatter
from bot.core.runtime import Runtime
from bot.scheduler import tick
from bot.services.email_survey import hash_token
from handlers.web.ingest import UNAVAILABLE
from handlers.web.survey_page import HEADERS
from storage.db import Database
from storage.models import Invitation
from tests.seed import Person, add_people

pytestmark = pytest.mark.postgres

TOKEN = "ingest-test-token"
EMAIL = "ana.secret@acme.test"
LINK = "a-link-token-nobody-should-log"
EVENT = {"event": "ticket_closed", "email": EMAIL, "occurred_at": "2026-11-24T09:00:00Z"}


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _lose_table(db: Database, table: str) -> None:
    """A real failure for every statement on `table`: the table is gone."""
    async with db.transaction() as session:
        await session.execute(text(f"ALTER TABLE {table} RENAME TO {table}_gone"))


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What the log says at WARNING and above, as the text format writes it, line by line."""
    formatter = FieldsFormatter("%(levelname)s %(name)s: %(message)s")
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    return [line for record in records for line in formatter.format(record).splitlines()]


def _everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    """Every record's text and values; the access log's request lines are not the app's."""
    texts = []
    for record in caplog.records:
        if record.name == "aiohttp.access":
            continue
        texts.append(logging.Formatter().format(record))
        texts += [repr(value) for value in vars(record).values()]
    return "\n".join(texts)


async def test_hooks_events_answers_503_with_retry_after_and_logs_one_line(
    rt: Runtime, app_url: str, client: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    rt.settings.ingest_token = SecretStr(TOKEN)
    await add_people(rt.db, Person(EMAIL, "U1", tz="UTC"))
    await _lose_table(rt.db, "contacts")  # the look-up by email fails in the database
    caplog.set_level(logging.INFO)

    async with client.post(
        app_url + "/hooks/events", json=EVENT, headers={"Authorization": f"Bearer {TOKEN}"}
    ) as response:
        status, headers, body = response.status, response.headers, await response.json()

    assert status == 503
    assert headers["Retry-After"] == "60"
    assert body == {"error": UNAVAILABLE} and "send the event again in a minute" in UNAVAILABLE
    async with rt.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Invitation)) == 0
    lines = _lines(caplog)
    assert len(lines) == 1, lines
    assert lines[0].startswith("ERROR handlers.web.ingest: event not stored: database unavailable")
    assert "contacts" in lines[0]  # what failed, for the operator
    assert EMAIL not in _everything_logged(caplog)


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_the_survey_page_says_try_again_in_a_minute_with_its_headers(
    rt: Runtime,
    app_url: str,
    client: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
    method: str,
) -> None:
    await _lose_table(rt.db, "survey_links")
    caplog.set_level(logging.INFO)

    form = {"score": "9", "comment": f"from {EMAIL}", "csrf": "x"}
    async with client.request(
        method, f"{app_url}/s/{LINK}", data=form if method == "POST" else None
    ) as response:
        status, headers, page = response.status, response.headers, await response.text()

    assert status == 503
    assert headers["Retry-After"] == "60"
    assert headers["Content-Type"].startswith("text/html")
    for name, value in HEADERS.items():
        assert headers[name] == value
    assert "please try again in a minute" in page and "<html" in page
    assert "Traceback" not in page and "survey_links" not in page
    lines = _lines(caplog)
    assert len(lines) == 1, lines
    assert lines[0].startswith("ERROR handlers.web.survey_page: survey page: database unavailable")
    logged = _everything_logged(caplog)
    assert hash_token(LINK) not in logged and LINK not in logged and EMAIL not in logged


async def test_a_scheduler_pass_without_the_database_is_one_line(
    rt: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    """`serve` runs the scheduler too: each pass during an outage logged a whole traceback."""
    await add_people(rt.db, Person(EMAIL, "U1", tz="UTC"))
    await _lose_table(rt.db, "invitations")
    caplog.set_level(logging.INFO)
    await tick(rt)
    lines = _lines(caplog)
    assert len(lines) == 1, lines
    assert lines[0].startswith("ERROR bot.scheduler: scheduled pass failed: database unavailable")
    assert EMAIL not in _everything_logged(caplog)
