"""`python -m bot crm sync` as a real process against the HubSpot and Salesforce emulators:
the summary line, a dry run, the terminal's progress, and each bad setting as one line."""

from __future__ import annotations

import asyncio
import os
import pty
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.devkit.emulator import SlackEmulator
from bot.devkit.hubspot_emulator import ALL_SCOPES, TOKEN, HubSpotEmulator
from bot.devkit.salesforce_emulator import SalesforceEmulator
from storage.db import Database
from storage.models import Account, Contact, CrmSync
from tests.harness import cli_env, vocbot

BAD_TOKEN = "pat-na1-0123456789-not-the-right-one"


@pytest.fixture
async def slack() -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator() as running:
        running.add_user("UANA", email="ana@vendor.test")
        yield running


def _seed(hub: HubSpotEmulator) -> None:
    ana = hub.add_owner("ana@vendor.test", "Ana", "Csm")
    bo = hub.add_owner("bo@vendor.test", "Bo", "Ae")
    acme = hub.add_company({"name": "Acme", "annualrevenue": "120000", "hubspot_owner_id": ana})
    beta = hub.add_company({"name": "Beta", "hubspot_owner_id": bo})
    hub.add_contact({"email": "joe@acme.test", "firstname": "Joe"}, acme)
    hub.add_contact({"email": "lee@beta.test"}, beta)


@pytest.fixture
async def hub() -> AsyncIterator[HubSpotEmulator]:
    async with HubSpotEmulator() as running:
        _seed(running)
        yield running


def _env(slack: SlackEmulator, database_url: str, home: Path, **crm: str) -> dict[str, str]:
    return cli_env(api_url=slack.api_url, database_url=database_url, home=home, **crm)


def _hubspot(hub: HubSpotEmulator, token: str = TOKEN, **more: str) -> dict[str, str]:
    return {"CRM": "hubspot", "HUBSPOT_TOKEN": token, "HUBSPOT_API_URL": hub.url, **more}


async def _written(database_url: str) -> tuple[int, int, bool]:
    """Accounts, contacts, and whether a cursor moved."""
    db = Database(database_url)
    try:
        async with db.session() as session:
            accounts = (await session.execute(select(func.count(Account.id)))).scalar_one()
            contacts = (await session.execute(select(func.count(Contact.id)))).scalar_one()
            moved = (
                await session.execute(
                    select(func.count(CrmSync.id)).where(
                        (CrmSync.companies_cursor.is_not(None))
                        | (CrmSync.contacts_cursor.is_not(None))
                    )
                )
            ).scalar_one()
    finally:
        await db.dispose()
    return accounts, contacts, bool(moved)


async def test_crm_sync_prints_one_summary_and_dry_run_writes_nothing(
    slack: SlackEmulator, hub: HubSpotEmulator, database_url: str, tmp_path: Path
) -> None:
    env = _env(slack, database_url, tmp_path, **_hubspot(hub))
    code, out, err = await vocbot(env, "crm", "sync", "--dry-run", cwd=tmp_path)
    assert (code, err) == (0, "")
    assert "  new account Acme (from HubSpot company" in out
    assert out.splitlines()[-1] == (
        "Dry run, nothing written. Would sync from HubSpot: 2 companies (2 new), "
        "2 contacts (2 new); 1 owner has no Slack account: bo@vendor.test"
    )
    assert await _written(database_url) == (0, 0, False)
    code, out, err = await vocbot(env, "crm", "sync", cwd=tmp_path)
    assert (code, err) == (0, "")  # stderr is no terminal here: no progress drawn
    assert out == (
        "Synced from HubSpot: 2 companies (2 new), 2 contacts (2 new); "
        "1 owner has no Slack account: bo@vendor.test\n"
    )
    assert await _written(database_url) == (2, 2, True)


async def test_crm_sync_shows_its_progress_on_a_terminal(
    slack: SlackEmulator, hub: HubSpotEmulator, database_url: str, tmp_path: Path
) -> None:
    env = _env(slack, database_url, tmp_path, **_hubspot(hub))
    leader, follower = pty.openpty()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "crm",
        "sync",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=follower,
    )
    os.close(follower)
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    drawn = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal's other end is closed: all read
            break
        if not chunk:
            break
        drawn += chunk
    os.close(leader)
    assert process.returncode == 0
    assert b"companies: 2 read, page 1" in drawn
    assert b"contacts: 2 read, page 2" in drawn
    assert out.decode().startswith("Synced from HubSpot: 2 companies")


@pytest.mark.parametrize(
    ("setting", "says"),
    [
        ("token", "HubSpot refused HUBSPOT_TOKEN (401"),
        ("url", "HubSpot could not be reached at http://127.0.0.1:9: check HUBSPOT_API_URL"),
        ("scope", "lacks the scope crm.objects.companies.read"),
        ("field", "HubSpot has no company field 'voc_tier' (CRM_FIELD_PLAN)"),
    ],
)
async def test_each_bad_hubspot_setting_is_one_line_exit_2_and_nothing_written(
    slack: SlackEmulator,
    hub: HubSpotEmulator,
    database_url: str,
    tmp_path: Path,
    setting: str,
    says: str,
) -> None:
    crm = _hubspot(hub)
    if setting == "token":
        crm["HUBSPOT_TOKEN"] = BAD_TOKEN
    elif setting == "url":
        crm["HUBSPOT_API_URL"] = "http://127.0.0.1:9"
    elif setting == "scope":
        hub.scopes = ALL_SCOPES - {"crm.objects.companies.read"}
    else:
        crm["CRM_FIELD_PLAN"] = "voc_tier"
    env = _env(slack, database_url, tmp_path, **crm)
    code, out, err = await vocbot(env, "crm", "sync", cwd=tmp_path)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], err
    assert BAD_TOKEN not in err and TOKEN not in err
    assert await _written(database_url) == (0, 0, False)


async def test_a_bad_salesforce_secret_is_one_line_exit_2(
    slack: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    async with SalesforceEmulator() as org:
        org.add_account({"Name": "Acme"})
        crm = {
            "CRM": "salesforce",
            "SALESFORCE_URL": org.url,
            "SALESFORCE_CLIENT_ID": org.client_id,
            "SALESFORCE_CLIENT_SECRET": "not-the-secret-4711",
        }
        env = _env(slack, database_url, tmp_path, **crm)
        code, out, err = await vocbot(env, "crm", "sync", cwd=tmp_path)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "SALESFORCE_CLIENT" in err, err
    assert "not-the-secret-4711" not in err
    assert await _written(database_url) == (0, 0, False)
