"""Short send leases that follow the work: renewed while a pass holds its rows, so another
process reconciles nothing that is still on its way, and a dead sender's rows are settled
about one lease later instead of after minutes."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.core.config import Settings
from bot.core.runtime import build_runtime, utcnow
from bot.devkit.emulator import SlackEmulator
from bot.domain.reports import DeliveryReport
from bot.domain.vocabulary import InvitationStatus
from bot.services.delivery import deliver_due, reconcile_stale
from bot.services.surveys import start_relationship_campaign
from storage import invitations
from storage.db import Database
from storage.models import Invitation
from tests.seed import Person, add_people

pytestmark = pytest.mark.postgres
PEOPLE = 12
# Short, but not so short that one slow renewal on a loaded machine (a SQLite write queued
# behind others) leaves half a lease without one: at 1 s a CI run once saw that happen.
LEASE = timedelta(seconds=2)


async def _campaign(settings: Settings, db: Database, emulator: SlackEmulator) -> None:
    for i in range(PEOPLE):
        emulator.add_user(f"U{i}", email=f"p{i}@acme.test")
    await add_people(db, *(Person(f"p{i}@acme.test") for i in range(PEOPLE)))
    rt = build_runtime(settings, db=db)
    await start_relationship_campaign(rt, kind="nps", now=utcnow(), send_now=True)


def _posts(emulator: SlackEmulator) -> Counter[str]:
    return Counter(c.args["channel"] for c in emulator.calls_to("chat.postMessage", ok=True))


async def test_a_pass_longer_than_its_lease_keeps_its_rows_and_sends_each_once(
    settings: Settings, db: Database, emulator: SlackEmulator
) -> None:
    settings = settings.model_copy(update={"send_lease": LEASE})
    await _campaign(settings, db, emulator)
    # 12 DMs at 2 a second: the pass holds rows for three leases
    sender = build_runtime(settings, db=db, sends_per_second=2, send_burst=1)
    other = build_runtime(settings, db=db)
    sending = asyncio.create_task(deliver_due(sender, utcnow()))
    seen_by_other = DeliveryReport()
    while not sending.done():
        seen_by_other = seen_by_other + await reconcile_stale(other, utcnow())
        await asyncio.sleep(0.1)
    report = sending.result()
    assert (report.sent, report.requeued) == (PEOPLE, 0)
    assert (seen_by_other.reconciled, seen_by_other.requeued) == (0, 0)
    assert set(_posts(emulator).values()) == {1} and len(_posts(emulator)) == PEOPLE


async def test_rows_of_a_sender_that_died_are_settled_once_its_short_lease_runs_out(
    settings: Settings, db: Database, emulator: SlackEmulator
) -> None:
    settings = settings.model_copy(update={"send_lease": LEASE})
    await _campaign(settings, db, emulator)
    now = utcnow()
    async with db.transaction() as session:  # a sender claims and dies: nobody renews
        claimed = await invitations.claim_due(session=session, now=now, lease=LEASE, limit=5)
    assert len(claimed) == 5
    rt = build_runtime(settings, db=db)
    early = await reconcile_stale(rt, now + LEASE / 2)
    assert (early.reconciled, early.requeued) == (0, 0)  # still leased
    late = await reconcile_stale(rt, now + LEASE + timedelta(seconds=1))
    assert late.requeued == 5  # never posted: due again, and sent once below
    # Sent by a live sender with the usual lease: a 1 s lease renewed on the real clock
    # could lapse on a loaded machine mid-pass, and what is checked here is the dead one's.
    live = build_runtime(settings.model_copy(update={"send_lease": timedelta(seconds=40)}), db=db)
    report = await deliver_due(live, now + LEASE + timedelta(seconds=1))
    assert report.sent == PEOPLE
    async with db.session() as session:
        statuses = Counter((await session.execute(select(Invitation.status))).scalars())
    assert statuses == {InvitationStatus.SENT: PEOPLE}
    assert set(_posts(emulator).values()) == {1} and len(_posts(emulator)) == PEOPLE
