"""The CRM sync's flow against the Salesforce emulator (smaller than HubSpot's): the real
connector, the Slack emulator for the owners, a real database. No mocks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import SQLModel

from blocks.terminal import crm_summary
from bot.core.config import Settings
from bot.core.runtime import Runtime, build_runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.devkit.salesforce_emulator import SalesforceEmulator
from bot.domain.user_errors import SyncRunning
from bot.domain.vocabulary import SkipReason
from bot.services import crm_sync
from bot.services.surveys import start_relationship_campaign
from storage.db import Database
from storage.models import Account, Contact
from tests.harness import BOT_TOKEN, SIGNING_SECRET

pytestmark = pytest.mark.postgres
QUIET = timedelta(minutes=30)
ACCOUNTS, CONTACTS_EACH, PAGE = 120, 3, 50


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def slack(clock: FakeClock) -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator(clock=clock) as running:
        yield running


@pytest.fixture
async def org(clock: FakeClock) -> AsyncIterator[SalesforceEmulator]:
    async with SalesforceEmulator(clock=clock, batch_size=PAGE) as running:
        yield running


@pytest.fixture
async def rt(
    slack: SlackEmulator,
    org: SalesforceEmulator,
    database_url: str,
    db: Database,
    clock: FakeClock,
) -> AsyncIterator[Runtime]:
    settings = Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        database_url=database_url,
        voc_channel="CVOC",
        crm="salesforce",
        salesforce_url=org.url,
        salesforce_client_id=org.client_id,
        salesforce_client_secret=org.client_secret,
    )
    runtime = build_runtime(settings, db=db, clock=clock)
    yield runtime
    await runtime.close()


async def _sync(rt: Runtime, clock: FakeClock, **options: bool) -> Any:
    clock.advance(QUIET)
    return await crm_sync.sync(rt, now=rt.now(), **options)


async def _count(db: Database, table: type[SQLModel], *where: Any) -> int:
    async with db.session() as session:
        query = select(func.count()).select_from(table).where(*where)
        return (await session.execute(query)).scalar_one()


def _seed(org: SalesforceEmulator, slack: SlackEmulator) -> dict[str, list[str]]:
    org.add_user("005000000000001", "ana@vendor.test", "Ana Csm")
    org.add_user("005000000000002", "bo@vendor.test", "Bo Ae")
    slack.add_user("UANA", email="ana@vendor.test", name="Ana")
    accounts, contacts = [], []
    for n in range(ACCOUNTS):
        owner = "005000000000001" if n % 2 else "005000000000002"
        account = org.add_account(
            {"Name": f"Company {n}", "AnnualRevenue": 1000 * n, "OwnerId": owner}
        )
        accounts.append(account)
        for m in range(CONTACTS_EACH):
            contacts.append(org.add_contact({"Email": f"p{m}@c{n}.test", "LastName": "P"}, account))
    return {"accounts": accounts, "contacts": contacts}


async def test_first_and_incremental_sync_from_salesforce(
    rt: Runtime, org: SalesforceEmulator, slack: SlackEmulator, db: Database, clock: FakeClock
) -> None:
    ids = _seed(org, slack)
    summary = await _sync(rt, clock)
    assert (summary.companies.seen, summary.companies.new) == (ACCOUNTS, ACCOUNTS)
    total = ACCOUNTS * CONTACTS_EACH
    assert (summary.contacts.seen, summary.contacts.new) == (total, total)
    assert summary.pages == -(-ACCOUNTS // PAGE) + -(-total // PAGE)  # through nextRecordsUrl
    assert summary.owners_without_slack == ["bo@vendor.test"]
    assert await _count(db, Account) == ACCOUNTS
    assert await _count(db, Contact) == total
    assert await _count(db, Account, Account.csm_user_id == "UANA") == ACCOUNTS // 2
    assert crm_summary(summary).startswith(
        f"Synced from Salesforce: {ACCOUNTS} companies ({ACCOUNTS} new), {total} contacts"
    )

    clock.advance(timedelta(hours=1))
    org.modify("Account", ids["accounts"][3], AnnualRevenue=999)
    org.delete("Contact", ids["contacts"][0])  # the recycle bin: inactive from now on
    queries = len(org.calls)
    again = await _sync(rt, clock)
    assert (again.companies.seen, again.companies.changed) == (1, 1)
    assert (again.contacts.seen, again.contacts.inactive) == (1, 1)
    soql = [str(c) for c in org.calls[queries:] if c.op in ("query", "queryAll")]
    assert all("SystemModstamp" in text for text in soql if "Account" in text)
    async with db.session() as session:
        gone = (
            await session.execute(select(Contact).where(Contact.crm_id == ids["contacts"][0]))
        ).scalar_one()
    assert not gone.active
    report = await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    assert report.skipped[SkipReason.INACTIVE] == 1


async def test_dry_run_and_a_second_sync_at_once_against_salesforce(
    rt: Runtime, org: SalesforceEmulator, slack: SlackEmulator, db: Database, clock: FakeClock
) -> None:
    _seed(org, slack)
    preview = await _sync(rt, clock, dry_run=True)
    assert preview.companies.new == ACCOUNTS and await _count(db, Account) == 0
    org.delay("query", 0.2)
    clock.advance(QUIET)
    results = await asyncio.gather(
        crm_sync.sync(rt, now=rt.now()), crm_sync.sync(rt, now=rt.now()), return_exceptions=True
    )
    assert sum(isinstance(r, SyncRunning) for r in results) == 1
    assert await _count(db, Account) == ACCOUNTS


async def test_a_spent_daily_allowance_stops_cleanly_and_the_next_sync_goes_on(
    rt: Runtime, org: SalesforceEmulator, slack: SlackEmulator, db: Database, clock: FakeClock
) -> None:
    for n in range(ACCOUNTS):  # a second apart: the pass reads them oldest first
        clock.advance(timedelta(seconds=1))
        org.add_account({"Name": f"Company {n}"})
    org.allowance, org.api_used = 100, 91  # 4 calls before only 5% is left
    summary = await _sync(rt, clock)
    assert summary.stopped is not None and "allowance is nearly spent" in summary.stopped
    assert "; stopped early: Salesforce's daily API allowance" in crm_summary(summary)
    written = await _count(db, Account)
    assert 0 < written < ACCOUNTS  # the pages before the stop stay written
    org.api_used = 0  # a day later
    again = await _sync(rt, clock)
    assert again.stopped is None
    assert again.companies.seen == ACCOUNTS - written + 1  # from the last one written on
    assert await _count(db, Account) == ACCOUNTS


async def test_an_org_without_the_default_custom_fields_syncs_the_rest_and_names_them(
    rt: Runtime, org: SalesforceEmulator, slack: SlackEmulator, db: Database, clock: FakeClock
) -> None:
    """Plan__c and Health__c are the defaults' custom fields; an org that never made them
    still syncs (a SOQL naming them would be refused with INVALID_FIELD)."""
    _seed(org, slack)
    for name in ("Plan__c", "Health__c"):
        org.remove_field("Account", name)
    summary = await _sync(rt, clock)
    assert summary.not_in_crm == {"plan": "CRM_FIELD_PLAN", "health": "CRM_FIELD_HEALTH"}
    assert await _count(db, Account) == ACCOUNTS
    assert "Salesforce has no field for them: plan (CRM_FIELD_PLAN), health" in crm_summary(summary)
