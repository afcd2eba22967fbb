"""One email rule for every way an address comes in: the CSV import, `POST /hooks/events`,
`/voc ana@acme.com: …` and `send --email`."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.core.runtime import Runtime
from bot.devkit.emulator import SlackEmulator
from bot.domain.errors import UserError
from bot.services.importer import import_contacts
from bot.services.surveys import start_relationship_campaign
from storage.models import Contact, Insight
from tests.e2e.test_voc import ask, shown
from tests.harness import SlackSender

pytestmark = pytest.mark.postgres
TOKEN = "ingest-test-token"
DOUBLE_DOT = "a@x..com"


async def _import(rt: Runtime, email: str) -> list[str]:
    csv_text = f"email,account,slack_user_id\n{email},Acme,U0ANA1\n"
    report = await import_contacts(db=rt.db, csv_text=csv_text, now=rt.now())
    return [str(error) for error in report.errors]


async def _post_event(rt: Runtime, app_url: str, email: str) -> tuple[int, dict[str, Any]]:
    rt.settings.ingest_token = SecretStr(TOKEN)
    body = {"event": "ticket_closed", "email": email, "occurred_at": "2026-11-24T09:00:00Z"}
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as session:
        url = app_url.rstrip("/") + "/hooks/events"
        async with session.post(url, data=json.dumps(body), headers=headers) as response:
            return response.status, json.loads(await response.text())


async def _rows(rt: Runtime, model: Any) -> list[Any]:
    async with rt.db.session() as session:
        return list((await session.execute(select(model))).scalars())


async def test_a_double_dot_is_refused_everywhere_an_email_comes_in(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, app_url: str
) -> None:
    reason = "it cannot have two periods in a row"
    assert await _import(rt, DOUBLE_DOT) == [
        f'line 2: email "{DOUBLE_DOT}" is not an email address ({reason}); '
        "write it like ana@example.com"
    ]
    assert await _rows(rt, Contact) == []

    status, answer = await _post_event(rt, app_url, DOUBLE_DOT)
    assert status == 400 and answer["field"] == "email"
    assert f'email "{DOUBLE_DOT}" is not an email address ({reason})' in answer["error"]

    said = shown(await ask(slack, emulator, f"{DOUBLE_DOT}: wants SSO #feature"))
    assert f'\\"{DOUBLE_DOT}\\" is not an email address ({reason})' in said
    assert await _rows(rt, Insight) == []

    with pytest.raises(UserError, match=f"is not an email address \\({reason}\\)"):
        await start_relationship_campaign(rt, kind="nps", now=rt.now(), email=DOUBLE_DOT)


@pytest.mark.parametrize("email", ["ana+vip@acme.test", "ana@eu.mail.acme.test"])
async def test_plus_and_subdomain_addresses_are_taken_everywhere_an_email_comes_in(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, app_url: str, email: str
) -> None:
    emulator.add_user("U0ANA1", email=email)
    assert await _import(rt, f" {email.upper()} ") == []
    [contact] = await _rows(rt, Contact)
    assert contact.email == email  # stored trimmed and lower-case

    status, answer = await _post_event(rt, app_url, email.title())
    assert status == 202
    assert [entry["kind"] for entry in answer["scheduled"]] == ["csat", "ces"]

    said = shown(await ask(slack, emulator, f"{email}: wants SSO #feature"))
    assert "Acme" in said
    [insight] = await _rows(rt, Insight)
    assert insight.contact_id == contact.id

    report = await start_relationship_campaign(rt, kind="nps", now=rt.now(), email=email.upper())
    assert report.created == 1
