"""Reach at scale: people found from Slack's bulk listings, cached, by the worker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from blocks.admin import campaign_list
from bot.core.config import Settings
from bot.core.runtime import Runtime, build_runtime
from bot.core.slack import tier_paces
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.domain.vocabulary import InvitationStatus
from bot.scheduler import drain, reach_tick
from bot.services import campaigns, reach
from bot.services.surveys import start_relationship_campaign
from storage import reach as reach_store
from storage.db import Database
from storage.models import Account, Contact, Invitation
from tests.seed import Person, add_people

S = InvitationStatus
pytestmark = pytest.mark.postgres
PARTNER = "TCUSTOMER"
SHARED = "C0GLOBEXSHARED"
PEOPLE = (
    Person("ana@acme.test", account="Acme"),  # a member
    Person("gus@acme.test", account="Acme"),  # a guest
    Person("mia@globex.test", account="Globex"),  # in Globex's Slack Connect channel
    Person("nobody@hooli.test", account="Hooli"),  # on email only
)


def _workspace(emulator: SlackEmulator) -> None:
    emulator.add_user("U0ANA", email="ana@acme.test", tz="Europe/Paris", locale="fr-FR")
    emulator.add_user("U0GUS", email="gus@acme.test", tz="Asia/Tokyo", guest=True)
    emulator.add_user("U0OLD", email="old@acme.test", deleted=True)
    emulator.add_user("U0CSM", email="csm@acme.test")  # our CSM, also in the shared channel
    emulator.add_user("U0MIA", email="mia@globex.test", team_id=PARTNER, tz="America/Chicago")
    emulator.add_channel(SHARED, ["U0CSM", "U0MIA"])


async def _with_channel(rt: Runtime) -> None:
    async with rt.db.transaction() as session:
        await session.execute(
            update(Account).where(Account.name == "Globex").values(slack_channel=SHARED)
        )


async def _invitations(rt: Runtime) -> dict[str, Invitation]:
    async with rt.db.session() as session:
        rows = await session.execute(
            select(Contact.email, Invitation).join(Contact, Contact.id == Invitation.contact_id)
        )
        return {email: invitation for email, invitation in rows.all()}


async def _contact(rt: Runtime, email: str) -> Contact:
    async with rt.db.session() as session:
        return (await session.execute(select(Contact).where(Contact.email == email))).scalar_one()


async def _seeded(rt: Runtime, emulator: SlackEmulator) -> None:
    """The workspace, the four people and Globex's shared channel."""
    _workspace(emulator)
    await add_people(rt.db, *PEOPLE)
    await _with_channel(rt)


def _count(emulator: SlackEmulator, method: str) -> int:
    return len(emulator.calls_to(method))


@pytest.fixture
async def later(settings: Settings, db: Database, clock: FakeClock) -> AsyncIterator[Runtime]:
    """A runtime whose `send` does not wait for Slack at all (REACH_SEND_WAIT=0)."""
    yield build_runtime(
        settings.model_copy(update={"reach_send_wait": timedelta(0)}), db=db, clock=clock
    )


async def test_members_guests_and_shared_channel_customers_come_from_listings(
    rt: Runtime, emulator: SlackEmulator
) -> None:
    await _seeded(rt, emulator)

    report = await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)

    assert (report.created, report.by_dm, report.external, report.resolving) == (3, 3, 1, 0)
    assert [(who.email, who.reason) for who in report.unreachable] == [
        ("nobody@hooli.test", "no Slack user")
    ]
    ana, gus, mia = [
        await _contact(rt, e) for e in ("ana@acme.test", "gus@acme.test", "mia@globex.test")
    ]
    assert (ana.slack_user_id, ana.tz, ana.locale) == ("U0ANA", "Europe/Paris", "fr-FR")
    assert (gus.slack_user_id, gus.tz) == ("U0GUS", "Asia/Tokyo")
    assert (mia.slack_user_id, mia.slack_team_id) == ("U0MIA", PARTNER)
    assert _count(emulator, "users.lookupByEmail") == 0  # absent from a complete listing
    asked = [c.args["user"] for c in emulator.calls_to("users.info")]
    assert "U0MIA" in asked and set(asked) <= {"U0MIA", "U0CSM"}  # our CSM: if read first
    assert _count(emulator, "users.list") == 1

    # a week later a new contact absent from the (fresh) listing costs no call at all
    await add_people(rt.db, Person("new@hooli.test", account="Hooli"))
    before = len(emulator.calls)
    again = await start_relationship_campaign(
        rt, kind="nps", now=rt.now() + timedelta(hours=1), email="new@hooli.test", send_now=True
    )
    assert [who.reason for who in again.unreachable] == ["no Slack user"]
    assert [c.method for c in emulator.calls[before:]] == []


async def test_a_listing_too_old_that_cannot_be_read_again_falls_back_to_lookup_by_email(
    rt: Runtime, emulator: SlackEmulator, clock: FakeClock
) -> None:
    _workspace(emulator)
    await add_people(rt.db, PEOPLE[0])
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    assert _count(emulator, "users.lookupByEmail") == 0
    await add_people(rt.db, PEOPLE[1], PEOPLE[3])
    emulator.add_user("U0ANA", email="ana@acme.test", tz="Asia/Tokyo")  # she moved

    clock.advance(timedelta(days=2))  # the listing is now too old to trust
    emulator.fail("users.list", error="internal_error")
    async with rt.db.transaction() as session:
        await session.execute(update(Invitation).values(status=S.EXPIRED))
    async with rt.db.transaction() as session:  # out of the fatigue window for the test
        await session.execute(update(Invitation).values(created_at=rt.now() - timedelta(days=200)))
    report = await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)

    assert [c.args["email"] for c in emulator.calls_to("users.lookupByEmail")] == [
        "gus@acme.test",
        "nobody@hooli.test",
    ]  # Ana's stored id is asked instead (users.info)
    assert report.by_dm == 2 and [w.email for w in report.unreachable] == ["nobody@hooli.test"]
    assert (await _contact(rt, "ana@acme.test")).tz == "Asia/Tokyo"
    assert (await _contact(rt, "gus@acme.test")).slack_user_id == "U0GUS"


async def test_send_returns_at_once_and_the_worker_finds_everyone_exactly_once(
    later: Runtime, emulator: SlackEmulator, clock: FakeClock
) -> None:
    rt = later
    await _seeded(rt, emulator)

    report = await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)

    assert (report.created, report.resolving, report.unreachable) == (4, 4, [])
    assert {i.status for i in (await _invitations(rt)).values()} == {S.RESOLVING}
    assert emulator.calls == []  # nothing asked of Slack yet
    [view] = await campaigns.list_campaigns(rt)
    assert "4 being found in Slack" in campaign_list([view])
    assert (await drain(rt)).sent == 0  # nobody is sent to before they are found

    clock.advance(timedelta(seconds=30))
    await asyncio.gather(reach_tick(rt), reach.resolve_pending(rt, rt.now()))  # two workers
    assert _count(emulator, "users.list") == 1  # one of them read it, under its lease
    await reach_tick(rt)  # a later pass finds what is left to do

    found = await _invitations(rt)
    assert {e: i.status for e, i in found.items()} == {
        "ana@acme.test": S.SCHEDULED,
        "gus@acme.test": S.SCHEDULED,
        "mia@globex.test": S.SCHEDULED,
        "nobody@hooli.test": S.SKIPPED,
    }
    assert found["nobody@hooli.test"].skip_reason == "no Slack user"
    [view] = await campaigns.list_campaigns(rt)
    listed = campaign_list([view])
    assert "skipped 1 (no Slack user 1)" in listed
    # once the worker is done, `campaigns` names who it could not reach, as `send` does
    assert "  could not reach 1:\n    nobody@hooli.test (Hooli): no Slack user" in listed
    assert (await drain(rt)).sent == 3
    dms = [c.args["channel"] for c in emulator.calls_to("chat.postMessage", ok=True)]
    assert sorted(dms) == ["U0ANA", "U0GUS", "U0MIA"]  # one each


async def test_a_429_pauses_the_listing_for_retry_after_and_it_goes_on(
    rt: Runtime, emulator: SlackEmulator
) -> None:
    for index in range(2_100):
        emulator.add_user(f"U{index:07d}", email=f"p{index}@acme.test")
    await add_people(rt.db, Person("p2050@acme.test", account="Acme"), PEOPLE[3])
    emulator.fail("users.list", status=429, retry_after=1)
    tier_paces(rt.slack).speed = 60  # after the pause, a Tier 2 pace of 20 a second

    report = await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)

    statuses = [c.status for c in emulator.calls_to("users.list")]
    assert statuses == [429, 200, 200, 200]  # paused, then three pages of 1,000
    assert tier_paces(rt.slack).get("users.list").limited  # paced at its tier from then on
    assert report.by_dm == 1 and [w.email for w in report.unreachable] == ["nobody@hooli.test"]
    assert _count(emulator, "users.lookupByEmail") == 0


async def test_resolving_reads_its_rows_a_chunk_at_a_time_and_slack_once(
    later: Runtime, emulator: SlackEmulator
) -> None:
    """100,000 resolving rows read at once held some 400 MB in each worker."""
    await _seeded(later, emulator)
    report = await start_relationship_campaign(later, kind="nps", now=later.now())
    assert report.resolving == 4

    resolved = await reach.resolve_pending(later, later.now(), chunk=1)

    assert (resolved.found, resolved.unreachable) == (3, 1)
    statuses = {email: i.status for email, i in (await _invitations(later)).items()}
    assert statuses == {
        "ana@acme.test": S.SCHEDULED,
        "gus@acme.test": S.SCHEDULED,
        "mia@globex.test": S.SCHEDULED,
        "nobody@hooli.test": S.SKIPPED,
    }
    # the first chunk read the listing; the next ones found their people in the database
    assert _count(emulator, "users.list") == 1
    assert _count(emulator, "users.lookupByEmail") == 0


def _workspace_of(emulator: SlackEmulator, people: int) -> None:
    """`people` members, a thousand to a page of users.list."""
    for index in range(people):
        emulator.add_user(f"U{index:07d}", email=f"p{index}@acme.test")


async def _statuses(rt: Runtime) -> dict[str, str]:
    return {email: i.status for email, i in (await _invitations(rt)).items()}


async def test_one_worker_reads_the_listing_while_the_others_wait_for_its_pages(
    later: Runtime, emulator: SlackEmulator, clock: FakeClock
) -> None:
    rt = later
    _workspace_of(emulator, 2_100)
    await add_people(rt.db, Person("p5@acme.test", account="Acme"), PEOPLE[3])
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    async with rt.db.transaction() as session:  # another worker is reading users.list
        assert await reach_store.claim_listing(
            session=session,
            source=reach.USERS_LIST,
            holder="another",
            now=rt.now(),
            lease=reach.LISTING_LEASE,
        )

    waited = await reach.resolve_pending(rt, rt.now())

    assert waited.listing_elsewhere and (waited.found, waited.unreachable) == (0, 0)
    assert set((await _statuses(rt)).values()) == {S.RESOLVING}  # not "no Slack user"
    assert emulator.calls == []  # neither its pages again nor a look-up per person

    clock.advance(reach.LISTING_LEASE + timedelta(seconds=1))  # that worker died
    resolved = await reach.resolve_pending(rt, rt.now())

    assert not resolved.listing_elsewhere
    assert await _statuses(rt) == {"p5@acme.test": S.SCHEDULED, "nobody@hooli.test": S.SKIPPED}
    assert _count(emulator, "users.list") == 3 and _count(emulator, "users.lookupByEmail") == 0
    async with rt.db.session() as session:
        listed = await reach_store.listing(session=session, source=reach.USERS_LIST)
    assert listed is not None and listed.completed_at is not None
    assert (listed.holder, listed.lease_until) == (None, None)  # given up once complete


async def test_a_page_settles_its_people_in_every_chunk_before_the_listing_ends(
    later: Runtime, emulator: SlackEmulator
) -> None:
    """With 100,000 invitations the first chunk's listing took minutes, and the DMs of
    every later chunk waited for its end."""
    rt = later
    _workspace_of(emulator, 2_100)
    await add_people(rt.db, Person("p2050@acme.test", account="Acme"))  # the first chunk's
    await add_people(rt.db, Person("p5@acme.test", account="Acme"))  # the second's, on page 1
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    emulator.delay("users.list", 0.1)

    task = asyncio.ensure_future(reach.resolve_pending(rt, rt.now(), chunk=1))
    while (await _statuses(rt))["p5@acme.test"] == S.RESOLVING and not task.done():
        await asyncio.sleep(0.01)
    pages_read = _count(emulator, "users.list")
    resolved = await task

    assert pages_read < 3  # settled from the first page, not after the listing's end
    assert await _statuses(rt) == {"p2050@acme.test": S.SCHEDULED, "p5@acme.test": S.SCHEDULED}
    assert (resolved.found, _count(emulator, "users.list")) == (2, 3)


async def test_a_listing_interrupted_gives_its_lease_up_and_the_next_pass_reads_it_at_once(
    later: Runtime, emulator: SlackEmulator
) -> None:
    rt = later
    _workspace_of(emulator, 2_100)
    await add_people(rt.db, Person("p2050@acme.test", account="Acme"))
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    emulator.hang_after_store("users.list")  # the first page's answer never comes
    task = asyncio.ensure_future(reach.resolve_pending(rt, rt.now()))
    while not _count(emulator, "users.list"):
        await asyncio.sleep(0.01)
    task.cancel()  # `send` stops waiting, or the worker is stopped
    with pytest.raises(asyncio.CancelledError):
        await task
    async with rt.db.session() as session:
        listed = await reach_store.listing(session=session, source=reach.USERS_LIST)
    assert listed is not None and listed.holder is None  # no lease left to run out

    resolved = await reach.resolve_pending(rt, rt.now())

    assert (resolved.found, resolved.listing_elsewhere) == (1, False)
