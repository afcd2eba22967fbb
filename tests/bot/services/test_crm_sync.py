"""The CRM sync through the real HubSpot connector against the HubSpot emulator, with the
Slack emulator answering the owners' lookups and a real database. No mocks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import SQLModel

from blocks.terminal import crm_summary, import_report
from bot.connectors.hubspot import HubSpot
from bot.core.config import Settings
from bot.core.runtime import Runtime, build_runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.devkit.hubspot_emulator import TOKEN, HubSpotEmulator
from bot.domain.errors import CrmSetupError, CrmUnavailable
from bot.domain.records import CrmSynced
from bot.domain.user_errors import SyncRunning
from bot.domain.vocabulary import SkipReason
from bot.scheduler import build_scheduler, crm_tick
from bot.services import crm_sync
from bot.services.home import load_home
from bot.services.importer import import_contacts
from bot.services.reports import account_timeline
from bot.services.surveys import start_relationship_campaign
from storage import autopilot as autopilot_store
from storage import crm_sync as store
from storage.db import Database
from storage.models import Account, Contact
from tests.harness import BOT_TOKEN, SIGNING_SECRET

pytestmark = pytest.mark.postgres
QUIET = timedelta(minutes=30)  # the CRM's records are older than this when a sync starts


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def slack(clock: FakeClock) -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator(clock=clock) as running:
        yield running


@pytest.fixture
async def hub(clock: FakeClock) -> AsyncIterator[HubSpotEmulator]:
    async with HubSpotEmulator(clock=clock) as running:
        yield running


def _settings(slack: SlackEmulator, hub: HubSpotEmulator, database_url: str, **more: Any):
    return Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        database_url=database_url,
        voc_channel="CVOC",
        crm="hubspot",
        hubspot_token=TOKEN,
        hubspot_api_url=hub.url,
        **more,
    )


@pytest.fixture
async def rt(
    slack: SlackEmulator, hub: HubSpotEmulator, database_url: str, db: Database, clock: FakeClock
) -> AsyncIterator[Runtime]:
    runtime = build_runtime(_settings(slack, hub, database_url), db=db, clock=clock)
    yield runtime
    await runtime.close()


async def _sync(rt: Runtime, clock: FakeClock, **options: bool) -> Any:
    clock.advance(QUIET)
    return await crm_sync.sync(rt, now=rt.now(), **options)


async def _count(db: Database, table: type[SQLModel]) -> int:
    async with db.session() as session:
        return (await session.execute(select(func.count()).select_from(table))).scalar_one()


async def _account(db: Database, crm_id: str) -> Account:
    async with db.session() as session:
        found = await session.execute(select(Account).where(Account.crm_id == crm_id))
        return found.scalar_one()


async def _contact(db: Database, email: str) -> Contact:
    async with db.session() as session:
        return (await session.execute(select(Contact).where(Contact.email == email))).scalar_one()


async def _snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, for "nothing was written"."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    async with db.session() as session:
        for table in SQLModel.metadata.sorted_tables:
            found = await session.execute(select(table))
            rows[table.name] = sorted((tuple(row) for row in found.all()), key=repr)
    return rows


def _seed(hub: HubSpotEmulator, slack: SlackEmulator) -> dict[str, str]:
    """Three companies, five contacts; owners: one in Slack, one not, one without email."""
    ana = hub.add_owner("ana@vendor.test", "Ana", "Csm")
    bo = hub.add_owner("bo@vendor.test", "Bo", "Ae")
    nameless = hub.add_owner(None, "Cy", "Nomail")
    slack.add_user("UANA", email="ana@vendor.test", name="Ana")
    ids = {
        "acme": hub.add_company(
            {
                "name": "Acme, Inc.",
                "domain": "acme.test",
                "annualrevenue": "120000",
                "plan": "Enterprise",
                "segment": "Mid Market",
                "health": "Healthy",
                "renewal_date": "2027-03-01",
                "hubspot_owner_id": ana,
            }
        ),
        "beta": hub.add_company({"name": "Beta", "hubspot_owner_id": bo}),
        "gamma": hub.add_company({"name": "Gamma", "hubspot_owner_id": nameless}),
        "delta": hub.add_company({"name": "Delta", "hubspot_owner_id": "4040"}),  # gone
    }
    for email, company in (
        ("joe@acme.test", "acme"),
        ("kim@acme.test", "acme"),
        ("lee@beta.test", "beta"),
    ):
        ids[email] = hub.add_contact({"email": email, "firstname": email[:3]}, ids[company])
    ids["noemail"] = hub.add_contact({"firstname": "Nobody"}, ids["acme"])
    ids["orphan"] = hub.add_contact({"email": "orphan@x.test"}, "999999")
    return ids


async def test_a_first_sync_brings_companies_contacts_and_owners(
    rt: Runtime, hub: HubSpotEmulator, slack: SlackEmulator, db: Database, clock: FakeClock
) -> None:
    ids = _seed(hub, slack)
    summary = await _sync(rt, clock)
    assert (summary.companies.seen, summary.companies.new) == (4, 4)
    assert (summary.contacts.seen, summary.contacts.new, summary.contacts.skipped) == (5, 3, 2)
    assert summary.owners_without_slack == ["bo@vendor.test", "Cy Nomail", "owner 4040"]
    acme = await _account(db, ids["acme"])
    assert (acme.name, acme.domain, acme.arr, acme.plan) == (
        "Acme, Inc.",
        "acme.test",
        120000.0,
        "Enterprise",
    )
    assert (acme.segment, acme.health, str(acme.renewal_date)) == (
        "mid-market",
        "green",
        "2027-03-01",
    )
    assert (acme.csm_user_id, acme.crm_source, acme.crm_synced_at) == ("UANA", "hubspot", rt.now())
    assert (await _account(db, ids["beta"])).csm_user_id is None  # never silently dropped:
    owners = "3 owners have no Slack account: bo@vendor.test, Cy Nomail, owner 4040"
    assert crm_summary(summary).endswith(owners)
    joe = await _contact(db, "joe@acme.test")
    assert (joe.crm_id, joe.account_id, joe.name, joe.crm_source) == (
        ids["joe@acme.test"],
        acme.id,
        "joe",
        "hubspot",
    )
    assert crm_summary(summary).startswith(
        "Synced from HubSpot: 4 companies (4 new), 5 contacts (3 new, 2 skipped)"
    )


async def test_an_incremental_pass_reads_only_what_changed(
    rt: Runtime, hub: HubSpotEmulator, slack: SlackEmulator, db: Database, clock: FakeClock
) -> None:
    ids = _seed(hub, slack)
    await _sync(rt, clock)
    clock.advance(timedelta(hours=1))
    hub.modify("companies", ids["beta"], annualrevenue="5000")
    hub.modify("contacts", ids["kim@acme.test"], firstname="Kimberly")
    before = len(hub.calls)
    summary = await _sync(rt, clock)
    calls = hub.calls[before:]
    assert (summary.companies.seen, summary.companies.changed) == (1, 1)
    assert (summary.contacts.seen, summary.contacts.changed) == (1, 1)
    assert [c.op for c in calls] == [
        "owners.list",
        "companies.properties_read",  # the mapping checked against the schema
        "companies.search",  # what changed since the cursor, and nothing else
        "companies.list",  # the archived ones (search does not see them): one page
        "contacts.search",
        "contacts.list",
    ]
    assert (await _account(db, ids["beta"])).arr == 5000.0
    assert (await _contact(db, "kim@acme.test")).name == "Kimberly"
    nothing = await _sync(rt, clock)  # and nothing changed since: nothing read
    assert (nothing.companies.seen, nothing.contacts.seen) == (0, 0)


async def test_full_reads_everything_again(
    rt: Runtime, hub: HubSpotEmulator, slack: SlackEmulator, clock: FakeClock
) -> None:
    _seed(hub, slack)
    await _sync(rt, clock)
    summary = await _sync(rt, clock, full=True)
    assert (summary.companies.seen, summary.companies.new, summary.companies.changed) == (4, 0, 0)
    assert summary.contacts.seen == 5


async def test_an_archived_contact_becomes_inactive_and_is_not_surveyed(
    rt: Runtime, hub: HubSpotEmulator, slack: SlackEmulator, db: Database, clock: FakeClock
) -> None:
    ids = _seed(hub, slack)
    await _sync(rt, clock)
    hub.archive("contacts", ids["joe@acme.test"])
    summary = await _sync(rt, clock)
    assert summary.contacts.inactive == 1
    joe = await _contact(db, "joe@acme.test")
    assert (joe.active, joe.inactive_since) == (False, rt.now())
    report = await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    assert report.skipped[SkipReason.INACTIVE] == 1
    assert report.skipped_who[SkipReason.INACTIVE] == ["joe@acme.test"]


async def test_a_csv_import_over_a_crm_field_is_said_and_the_next_sync_wins(
    rt: Runtime, hub: HubSpotEmulator, slack: SlackEmulator, db: Database, clock: FakeClock
) -> None:
    ids = _seed(hub, slack)
    await _sync(rt, clock)
    report = await import_contacts(
        db=db,
        csv_text="email,account,arr,industry\nnew@acme.test,ACME Inc,99,Retail\n",
        now=rt.now(),
        crm_owned=crm_sync.owned_fields(rt.settings),
    )
    lines = import_report(report).splitlines()
    assert lines[:2] == [
        "Acme, Inc.: industry is kept in HubSpot; the next sync will put back (blank)",
        "Acme, Inc.: arr is kept in HubSpot; the next sync will put back 120000",
    ]
    assert (await _account(db, ids["acme"])).arr == 99.0  # imported all the same
    summary = await _sync(rt, clock)  # nothing changed in HubSpot, yet the CRM wins
    acme = await _account(db, ids["acme"])
    assert (acme.arr, acme.industry) == (120000.0, None)
    assert summary.companies.changed == 1
    assert (await _contact(db, "new@acme.test")).account_id == acme.id  # the answers stay


async def test_an_account_imported_before_becomes_the_crms_with_its_contacts(
    rt: Runtime, hub: HubSpotEmulator, slack: SlackEmulator, db: Database, clock: FakeClock
) -> None:
    await import_contacts(
        db=db, csv_text="email,account,arr\nold@acme.test,Acme Inc,10\n", now=rt.now()
    )
    ids = _seed(hub, slack)
    await _sync(rt, clock)
    assert await _count(db, Account) == 4
    acme = await _account(db, ids["acme"])
    assert (await _contact(db, "old@acme.test")).account_id == acme.id
    assert acme.arr == 120000.0


async def test_a_dry_run_writes_nothing(
    rt: Runtime, hub: HubSpotEmulator, slack: SlackEmulator, db: Database, clock: FakeClock
) -> None:
    ids = _seed(hub, slack)
    await _sync(rt, clock)
    hub.modify("companies", ids["beta"], annualrevenue="5000")
    hub.archive("contacts", ids["joe@acme.test"])
    hub.add_company({"name": "Delta"})
    before = await _snapshot(db)
    summary = await _sync(rt, clock, dry_run=True)
    assert await _snapshot(db) == before  # every row of every table, cursors and lease too
    assert summary.dry_run
    assert (summary.companies.new, summary.companies.changed) == (1, 1)
    assert summary.contacts.inactive == 1
    assert "Beta: arr (blank) → 5000" in summary.changes
    assert "joe@acme.test: inactive (archived or deleted in HubSpot)" in summary.changes
    assert crm_summary(summary).startswith("Dry run, nothing written. Would sync from HubSpot")
    real = await _sync(rt, clock)  # the same changes, written this time
    assert (real.companies.new, real.companies.changed, real.contacts.inactive) == (1, 1, 1)


async def test_two_syncs_at_once_one_runs_and_the_other_says_so(
    rt: Runtime, hub: HubSpotEmulator, slack: SlackEmulator, db: Database, clock: FakeClock
) -> None:
    _seed(hub, slack)
    hub.delay("owners.list", 0.3)
    clock.advance(QUIET)
    results = await asyncio.gather(
        crm_sync.sync(rt, now=rt.now()), crm_sync.sync(rt, now=rt.now()), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, SyncRunning)]
    assert len(refused) == 1
    assert str(refused[0]).startswith("A HubSpot sync is already running (started 2026-11-24")
    assert len(hub.calls_to("owners.list")) == 1
    assert await _count(db, Account) == 4


async def test_the_scheduled_sync_runs_when_due_and_a_setup_error_does_not_spin(
    rt: Runtime,
    hub: HubSpotEmulator,
    slack: SlackEmulator,
    db: Database,
    clock: FakeClock,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _seed(hub, slack)
    clock.advance(QUIET)
    assert await crm_sync.sync_due(rt, rt.now()) is not None  # never ran: due
    clock.advance(timedelta(minutes=30))
    assert await crm_sync.sync_due(rt, rt.now()) is None  # CRM_SYNC_EVERY (1h) not over
    clock.advance(timedelta(minutes=31))
    assert await crm_sync.sync_due(rt, rt.now()) is not None
    hub.token = "pat-revoked"
    clock.advance(timedelta(hours=2))
    with caplog.at_level(logging.WARNING):
        assert await crm_sync.sync_due(rt, rt.now()) is None
    failed = [r for r in caplog.records if r.name == "bot.services.crm_sync"]
    assert len(failed) == 1 and "HUBSPOT_TOKEN" in failed[0].getMessage()
    assert TOKEN not in failed[0].getMessage()
    async with db.session() as session:
        row = await store.state(session=session, crm="hubspot")
    assert row is not None and row.error is not None and "401" in row.error
    calls = len(hub.calls)
    for _ in range(5):  # every tick of the next hour: no call at all
        clock.advance(timedelta(minutes=10))
        assert await crm_sync.sync_due(rt, rt.now()) is None
    assert len(hub.calls) == calls
    hub.token = TOKEN
    clock.advance(timedelta(minutes=15))
    assert await crm_sync.sync_due(rt, rt.now()) is not None  # tried again, and it works
    async with db.session() as session:
        row = await store.state(session=session, crm="hubspot")
    assert row is not None and row.error is None
    off = build_runtime(
        Settings(slack_bot_token=BOT_TOKEN, database_url=database_url), db=db, clock=clock
    )
    assert await crm_sync.sync_due(off, rt.now()) is None  # CRM unset: no sync


async def test_a_setup_error_writes_nothing(
    hub: HubSpotEmulator,
    slack: SlackEmulator,
    db: Database,
    clock: FakeClock,
    database_url: str,
) -> None:
    _seed(hub, slack)
    hub.remove_property("companies", "plan")  # the property CRM_FIELD_PLAN names is not there
    settings = _settings(slack, hub, database_url, crm_field_plan="plan")
    rt = build_runtime(settings, db=db, clock=clock)
    with pytest.raises(CrmSetupError, match="CRM_FIELD_PLAN"):
        await _sync(rt, clock)
    assert await _count(db, Account) == 0 and await _count(db, Contact) == 0
    async with db.session() as session:
        row = await store.state(session=session, crm="hubspot")
    assert row is not None and row.companies_cursor is None and row.lease_until is None


async def test_a_default_field_the_portal_lacks_is_left_out_and_named(
    rt: Runtime, hub: HubSpotEmulator, slack: SlackEmulator, db: Database, clock: FakeClock
) -> None:
    """`plan` and `health` are custom HubSpot properties a portal may never have made: with
    no CRM_FIELD_* naming them, the sync goes on without them and says so."""
    _seed(hub, slack)
    for name in ("plan", "health"):
        hub.remove_property("companies", name)
    summary = await _sync(rt, clock)
    assert summary.not_in_crm == {"plan": "CRM_FIELD_PLAN", "health": "CRM_FIELD_HEALTH"}
    assert summary.companies.new > 0 and await _count(db, Account) == summary.companies.new
    line = crm_summary(summary)
    assert "not synced, as HubSpot has no field for them: plan (CRM_FIELD_PLAN)" in line


@pytest.mark.slow
async def test_a_first_sync_of_5000_companies_and_20000_contacts_pages_through_all(
    rt: Runtime, hub: HubSpotEmulator, slack: SlackEmulator, db: Database, clock: FakeClock
) -> None:
    owners = [hub.add_owner(f"csm{n}@vendor.test", "Csm", str(n)) for n in range(10)]
    for n in range(7):  # three owners have no Slack account
        slack.add_user(f"UCSM{n}", email=f"csm{n}@vendor.test")
    companies = [
        hub.add_company({"name": f"Company {n}", "hubspot_owner_id": owners[n % 10]})
        for n in range(5000)
    ]
    for n in range(20000):
        hub.add_contact({"email": f"p{n}@c{n // 4}.test"}, companies[n // 4])
    summary = await _sync(rt, clock)
    assert (summary.companies.seen, summary.companies.new) == (5000, 5000)
    assert (summary.contacts.seen, summary.contacts.new, summary.contacts.skipped) == (
        20000,
        20000,
        0,
    )
    assert summary.pages == 50 + 200  # 100 a page
    assert len(hub.calls_to("companies.list")) == 50 + 1  # and one of archived companies
    assert len(hub.calls_to("contacts.list")) == 200 + 1
    assert summary.owners_without_slack == [f"csm{n}@vendor.test" for n in (7, 8, 9)]
    async with db.session() as session:
        for column in (Account.crm_id, Contact.crm_id):
            rows, ids = (
                await session.execute(select(func.count(), func.count(column.distinct())))
            ).one()
            assert rows == ids  # no duplicates
    assert await _count(db, Account) == 5000 and await _count(db, Contact) == 20000
    clock.advance(timedelta(hours=1))
    for n in range(0, 5000, 500):
        hub.modify("companies", companies[n], annualrevenue=str(n))
    before = len(hub.calls)
    again = await _sync(rt, clock)
    assert (again.companies.seen, again.companies.changed, again.contacts.seen) == (10, 10, 0)
    assert [c.op for c in hub.calls[before:]] == [
        "owners.list",
        "companies.properties_read",  # the mapping checked against the schema
        "companies.search",
        "companies.list",  # the archived ones: search does not see them
        "contacts.search",
        "contacts.list",
    ]


async def test_voc_account_and_app_home_say_when_the_crm_last_synced(
    rt: Runtime, hub: HubSpotEmulator, slack: SlackEmulator, clock: FakeClock
) -> None:
    _seed(hub, slack)
    await _sync(rt, clock)
    first = rt.now()
    await _sync(rt, clock)  # Acme did not change: it was current as of this sync's end
    timeline = await account_timeline(rt, "acme inc")
    assert timeline.account.synced == CrmSynced("HubSpot", rt.now())
    assert first < rt.now()
    home = await load_home(rt, "UANA", rt.now())  # Ana is Acme's CSM through HubSpot
    assert [(a.account, a.synced) for a in home.accounts] == [
        ("Acme, Inc.", CrmSynced("HubSpot", rt.now()))
    ]


async def test_the_worker_schedules_the_sync_as_its_own_job_only_with_a_crm(
    rt: Runtime, hub: HubSpotEmulator, slack: SlackEmulator, db: Database, clock: FakeClock
) -> None:
    _seed(hub, slack)
    job = build_scheduler(rt).get_job("voc-crm-sync")
    assert job is not None and job.func is crm_tick
    clock.advance(QUIET)
    await crm_tick(rt)  # what the job runs: the sync, when due
    assert await _count(db, Account) == 4
    plain = replace(rt, settings=rt.settings.model_copy(update={"crm": None}))
    assert build_scheduler(plain).get_job("voc-crm-sync") is None


async def test_an_autopilot_no_longer_covers_a_contact_gone_from_the_crm(
    rt: Runtime, hub: HubSpotEmulator, slack: SlackEmulator, db: Database, clock: FakeClock
) -> None:
    ids = _seed(hub, slack)
    await _sync(rt, clock)
    hub.archive("contacts", ids["kim@acme.test"])
    await _sync(rt, clock)
    async with db.session() as session:
        covered = await autopilot_store.members(session=session, segment=None)
        kim = await _contact(db, "kim@acme.test")
    assert kim.id not in {member.id for member in covered}
    assert len(covered) == 2


async def test_a_crm_outage_mid_pass_keeps_the_pages_written_and_the_next_pass_goes_on(
    rt: Runtime, hub: HubSpotEmulator, slack: SlackEmulator, db: Database, clock: FakeClock
) -> None:
    company = hub.add_company({"name": "Acme"})
    people = [hub.add_contact({"email": f"p{n}@acme.test"}, company) for n in range(450)]
    await _sync(rt, clock)
    for n, person in enumerate(people):  # each edited a second after the last
        clock.advance(timedelta(seconds=1))
        hub.modify("contacts", person, firstname=f"New{n}")

    async def no_wait(_seconds: float) -> None:
        return None

    hub.fail("contacts.search", 503, times=5, after=1)  # the CRM goes down after a page
    connector = HubSpot(token=TOKEN, base_url=hub.url, retries=0, sleep=no_wait)
    clock.advance(QUIET)
    with pytest.raises(CrmUnavailable):
        await crm_sync.sync(rt, now=rt.now(), connector=connector)
    async with db.session() as session:
        names = (await session.execute(select(Contact.name).order_by(Contact.id))).scalars()
        renamed = sum(1 for name in names if name and name.startswith("New"))
        row = await store.state(session=session, crm="hubspot")
    # The search page read before the CRM went down (200) is written with its cursor.
    assert renamed == 200
    assert row is not None and row.error is not None and row.lease_until is None
    hub.fail("contacts.search", 503, times=0)
    again = await _sync(rt, clock)
    # the rest, and the one sharing the cursor's stamp
    assert again.contacts.seen == 450 - renamed + 1
    async with db.session() as session:
        names = (await session.execute(select(Contact.name))).scalars()
        assert all(name and name.startswith("New") for name in names)


async def test_the_scheduled_sync_skips_in_one_line_while_another_holds_the_lease(
    rt: Runtime,
    hub: HubSpotEmulator,
    slack: SlackEmulator,
    db: Database,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _seed(hub, slack)
    clock.advance(QUIET)
    async with db.transaction() as session:  # `crm sync` in another process, say
        assert await store.claim(
            session=session, crm="hubspot", now=rt.now(), lease=timedelta(minutes=10)
        )
    with caplog.at_level(logging.INFO, logger="bot.services.crm_sync"):
        assert await crm_sync.sync_due(rt, rt.now()) is None
    said = [r.getMessage() for r in caplog.records if r.name == "bot.services.crm_sync"]
    assert said == ["CRM sync skipped: another sync is running"]
    assert hub.calls == [] and await _count(db, Account) == 0
    clock.advance(timedelta(minutes=11))  # that process died: its lease ran out
    assert await crm_sync.sync_due(rt, rt.now()) is not None
    assert await _count(db, Account) == 4
