"""`python -m bot crm setup | check | status | retry` as an operator runs them, against the
local HubSpot and Salesforce emulators: what they print, their exit codes, one line for a
bad token, URL or scope, never the secret."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert

from bot.devkit.emulator import SlackEmulator
from bot.devkit.hubspot_emulator import ALL_SCOPES, TOKEN, HubSpotEmulator
from bot.devkit.salesforce_emulator import SalesforceEmulator
from storage.db import Database
from storage.models import CrmSync, OutboxEvent
from tests.harness import cli_env, vocbot

PUSHED = [
    ("contacts", "voc_last_score"),
    ("contacts", "voc_last_survey"),
    ("contacts", "voc_last_answered_at"),
    ("contacts", "voc_last_comment"),
    ("companies", "voc_nps"),
    ("companies", "voc_open_cases"),
]


@pytest.fixture
async def hub() -> AsyncIterator[HubSpotEmulator]:
    async with HubSpotEmulator() as running:
        yield running


def hubspot_env(
    emulator: SlackEmulator, database_url: str, home: Path, url: str, **extra: str
) -> dict[str, str]:
    return cli_env(
        api_url=emulator.api_url,
        database_url=database_url,
        home=home,
        CRM="hubspot",
        HUBSPOT_TOKEN=TOKEN,
        HUBSPOT_API_URL=url,
        **extra,
    )


async def test_setup_creates_the_properties_then_check_finds_them_all(
    emulator: SlackEmulator, database_url: str, tmp_path: Path, hub: HubSpotEmulator
) -> None:
    env = hubspot_env(emulator, database_url, tmp_path, hub.url)
    code, out, err = await vocbot(env, "crm", "check", cwd=tmp_path)
    assert code == 2
    assert "missing in HubSpot: Contact.voc_last_score: run python -m bot crm setup" in err

    code, out, err = await vocbot(env, "crm", "setup", cwd=tmp_path)

    assert code == 0, err
    assert "Created in HubSpot: Note.voc_note_key" in out
    assert "Created in HubSpot: Contact.voc_last_score" in out
    assert "Created in HubSpot: Company.voc_open_cases" in out
    assert "HubSpot has every field VoC bot writes." in out
    for object_type, name in PUSHED:
        assert name in hub.properties[object_type]
    code, out, err = await vocbot(env, "crm", "check", cwd=tmp_path)
    assert code == 0, err
    assert out.startswith("HubSpot has all ")

    code, out, err = await vocbot(env, "crm", "setup", cwd=tmp_path)  # again: nothing to do
    assert code == 0 and "Created" not in out and "Already in HubSpot" in out


async def test_setup_creates_the_note_key_when_it_is_the_only_field_missing(
    emulator: SlackEmulator, database_url: str, tmp_path: Path, hub: HubSpotEmulator
) -> None:
    for object_type, name in PUSHED:
        hub.add_property(object_type, name)
    env = hubspot_env(emulator, database_url, tmp_path, hub.url)
    code, _out, err = await vocbot(env, "crm", "check", cwd=tmp_path)
    assert code == 2
    assert "Note.voc_note_key" in err

    code, out, err = await vocbot(env, "crm", "setup", cwd=tmp_path)

    assert code == 0, err
    assert out.splitlines()[0] == "Created in HubSpot: Note.voc_note_key"
    assert "voc_note_key" in hub.properties["notes"]


async def test_check_names_every_missing_field_and_the_setting_of_a_mapped_one(
    emulator: SlackEmulator, database_url: str, tmp_path: Path, hub: HubSpotEmulator
) -> None:
    env = hubspot_env(emulator, database_url, tmp_path, hub.url, CRM_FIELD_PLAN="tier")
    assert (await vocbot(env, "crm", "setup", cwd=tmp_path))[0] == 0
    hub.remove_property("contacts", "voc_last_comment")
    hub.remove_property("companies", "voc_nps")

    code, out, err = await vocbot(env, "crm", "check", cwd=tmp_path)

    assert code == 2
    lines = err.strip().splitlines()
    assert lines == [
        "missing in HubSpot: Contact.voc_last_comment: run python -m bot crm setup",
        "missing in HubSpot: Company.voc_nps: run python -m bot crm setup",
        "missing in HubSpot: Company.tier, named by CRM_FIELD_PLAN: fix the setting "
        "(blank means not synced) or add the field",
    ]


async def test_a_bad_token_a_missing_scope_and_a_wrong_url_are_one_line_each(
    emulator: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    async with HubSpotEmulator(scopes=ALL_SCOPES - {"crm.schemas.contacts.write"}) as hub:
        env = hubspot_env(emulator, database_url, tmp_path, hub.url)
        code, _out, err = await vocbot(env, "crm", "setup", cwd=tmp_path)
        assert code == 2 and len(err.strip().splitlines()) == 1
        assert "crm.schemas.contacts.write" in err and TOKEN not in err

        env["HUBSPOT_TOKEN"] = "pat-na1-wrong-secret"
        code, out, err = await vocbot(env, "crm", "check", cwd=tmp_path)
        assert code == 2 and len(err.strip().splitlines()) == 1
        assert "HUBSPOT_TOKEN" in err and "wrong-secret" not in err + out

    env = hubspot_env(emulator, database_url, tmp_path, "http://127.0.0.1:9")
    code, _out, err = await vocbot(env, "crm", "check", cwd=tmp_path)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "HUBSPOT_API_URL" in err

    env = cli_env(api_url=emulator.api_url, database_url=database_url, home=tmp_path)
    code, _out, err = await vocbot(env, "crm", "status", cwd=tmp_path)
    assert code == 2 and "CRM is not set" in err


async def test_status_shows_the_last_sync_and_the_pushes_pending_and_given_up(
    emulator: SlackEmulator, db: Database, database_url: str, tmp_path: Path
) -> None:
    env = hubspot_env(emulator, database_url, tmp_path, "http://127.0.0.1:9")
    code, out, err = await vocbot(env, "crm", "status", cwd=tmp_path)
    assert code == 0, err
    assert out.splitlines() == [
        "Sync from HubSpot: never run (python -m bot crm sync)",
        "Push to HubSpot: 0 pending, 0 delivered, 0 not in HubSpot, 0 given up",
    ]

    at = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    async with db.transaction() as session:
        await session.execute(
            insert(CrmSync).values(
                crm="hubspot",
                started_at=at,
                finished_at=at,
                summary={
                    "companies": {"seen": 40, "new": 2, "changed": 3},
                    "contacts": {"seen": 90, "new": 0, "changed": 1},
                    "owners_without_slack": ["ex@acme.test"],
                },
            )
        )
        await session.execute(
            insert(OutboxEvent),
            [
                _event("a", attempts=3, error="HubSpot kept failing (HTTP 503)"),
                _event("b", attempts=12, error="HubSpot kept failing (HTTP 429)", dead_at=at),
                _event("c", delivered_at=at),
                _event("d", delivered_at=at, error="not in CRM"),
            ],
        )

    code, out, err = await vocbot(env, "crm", "status", cwd=tmp_path)

    assert code == 0, err
    assert out.splitlines() == [
        "Last sync from HubSpot: 2026-12-01 08:00 UTC, ok",
        "  40 companies (2 new, 3 changed), 90 contacts (0 new, 1 changed), 1 owner has no "
        "Slack account",
        "Push to HubSpot: 1 pending, 1 delivered, 1 not in HubSpot, 1 given up",
        "  pending #1 crm.contact, 3 tries, last error: HubSpot kept failing (HTTP 503)",
        "  given up #2 crm.contact from 2026-11-30 09:00, 12 tries, last error: HubSpot kept "
        "failing (HTTP 429)",
        "Send one again: python -m bot crm retry ID",
    ]
    code, out, err = await vocbot(env, "crm", "retry", "2", cwd=tmp_path)
    assert (code, out.strip()) == (
        0,
        "CRM push #2 is due again; the next scheduler pass sends it.",
    ), err
    code, out, err = await vocbot(env, "crm", "retry", "2", cwd=tmp_path)
    assert code == 1
    assert err.strip() == (
        "error: No CRM push given up on has id 2: `python -m bot crm status` lists them."
    )


def _event(
    key: str,
    *,
    attempts: int = 0,
    error: str | None = None,
    dead_at: datetime | None = None,
    delivered_at: datetime | None = None,
) -> dict[str, object]:
    at = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    return {
        "event_id": key,
        "type": "crm.contact",
        "payload": {"response_id": 1},
        "created_at": at,
        "due_at": at,
        "attempts": attempts,
        "last_error": error,
        "dead_at": dead_at,
        "delivered_at": delivered_at,
        "sink": "crm",
    }


async def test_salesforce_setup_creates_the_custom_fields_and_check_agrees(
    emulator: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    async with SalesforceEmulator() as sf:
        env = cli_env(
            api_url=emulator.api_url,
            database_url=database_url,
            home=tmp_path,
            CRM="salesforce",
            SALESFORCE_URL=sf.url,
            SALESFORCE_CLIENT_ID=sf.client_id,
            SALESFORCE_CLIENT_SECRET=sf.client_secret,
        )
        code, out, err = await vocbot(env, "crm", "setup", cwd=tmp_path)
        assert code == 0, err
        assert "Created in Salesforce: Contact.VoC_Last_Score__c" in out
        assert "Created in Salesforce: Account.VoC_Nps__c" in out
        assert "VoC_Last_Comment__c" in sf.fields_of("Contact")
        code, out, err = await vocbot(env, "crm", "check", cwd=tmp_path)
        assert code == 0, err + out
