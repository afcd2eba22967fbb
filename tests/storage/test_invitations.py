from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.domain.vocabulary import InvitationStatus
from storage import invitations, responses
from storage.db import Database
from storage.models import Account, Contact, Response

pytestmark = pytest.mark.postgres
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
LEASE = timedelta(minutes=5)
S = InvitationStatus


async def _contacts(db: Database, count: int) -> list[int]:
    async with db.transaction() as session:
        account = Account(name="Acme", name_key="acme")
        session.add(account)
        await session.flush()
        people = [
            Contact(email=f"p{i}@acme.test", account_id=account.id or 0, slack_user_id=f"U{i:05d}")
            for i in range(count)
        ]
        session.add_all(people)
        await session.flush()
        return [p.id or 0 for p in people]


async def _schedule(db: Database, contact_ids: list[int], due: datetime) -> list[int]:
    async with db.transaction() as session:
        created = [
            await invitations.create_invitation(
                session=session,
                contact_id=c,
                kind="nps",
                trigger="relationship",
                due_at=due,
                now=NOW,
            )
            for c in contact_ids
        ]
    return [i.id or 0 for i in created]


async def test_claim_due_takes_only_due_rows_and_only_once(db: Database) -> None:
    contacts = await _contacts(db, 3)
    due = await _schedule(db, contacts[:2], NOW - timedelta(minutes=1))
    await _schedule(db, contacts[2:], NOW + timedelta(hours=1))
    async with db.transaction() as session:
        first = await invitations.claim_due(session=session, now=NOW, lease=LEASE, limit=10)
    async with db.transaction() as session:
        second = await invitations.claim_due(session=session, now=NOW, lease=LEASE, limit=10)
    assert sorted(i.id for i, _ in first) == sorted(due)
    assert all(i.status == S.SENDING and i.attempts == 1 for i, _ in first)
    assert all(i.lease_until == NOW + LEASE for i, _ in first)
    assert second == []


async def test_concurrent_claimers_never_share_a_row(db: Database, database_url: str) -> None:
    contacts = await _contacts(db, 60)
    await _schedule(db, contacts, NOW - timedelta(minutes=1))
    others = [Database(database_url) for _ in range(3)]  # separate engines, like processes

    async def claim_all(database: Database) -> list[int]:
        taken: list[int] = []
        while True:
            async with database.transaction() as session:
                batch = await invitations.claim_due(session=session, now=NOW, lease=LEASE, limit=7)
            if not batch:
                return taken
            taken += [i.id or 0 for i, _ in batch]
            await asyncio.sleep(0)

    try:
        results = await asyncio.gather(*(claim_all(d) for d in [db, *others]))
    finally:
        for other in others:
            await other.dispose()
    everything = [i for taken in results for i in taken]
    assert len(everything) == 60
    assert len(set(everything)) == 60


async def test_stale_sending_rows_are_reclaimed_after_the_lease(db: Database) -> None:
    contacts = await _contacts(db, 1)
    await _schedule(db, contacts, NOW)
    async with db.transaction() as session:
        await invitations.claim_due(session=session, now=NOW, lease=LEASE, limit=10)
    async with db.transaction() as session:
        early = await invitations.claim_stale_sending(
            session=session, now=NOW + timedelta(minutes=4), lease=LEASE, limit=10
        )
    async with db.transaction() as session:
        late = await invitations.claim_stale_sending(
            session=session, now=NOW + timedelta(minutes=6), lease=LEASE, limit=10
        )
    assert early == []
    assert len(late) == 1


async def test_reminders_are_claimed_once_and_not_after_expiry(db: Database) -> None:
    contacts = await _contacts(db, 2)
    ids = await _schedule(db, contacts, NOW)
    async with db.transaction() as session:
        for invitation_id, days in zip(ids, (5, 20), strict=True):
            await invitations.transition(
                session=session,
                invitation_id=invitation_id,
                from_statuses=[S.SCHEDULED],
                values={"status": S.SENT, "sent_at": NOW - timedelta(days=days)},
            )

    async def remind() -> list[int]:
        async with db.transaction() as session:
            rows = await invitations.claim_reminders(
                session=session,
                now=NOW,
                remind_after=timedelta(days=4),
                expire_after=timedelta(days=14),
            )
        return [i.id or 0 for i, _ in rows]

    assert await remind() == [ids[0]]
    assert await remind() == []
    async with db.transaction() as session:
        expired = await invitations.claim_expiries(
            session=session, now=NOW, expire_after=timedelta(days=14)
        )
    assert [i.id for i, _ in expired] == [ids[1]]


async def test_the_database_refuses_a_second_response(db: Database) -> None:
    contacts = await _contacts(db, 1)
    [invitation_id] = await _schedule(db, contacts, NOW)
    answer = {"invitation_id": invitation_id, "contact_id": contacts[0], "account_id": 1}
    async with db.transaction() as session:
        await responses.record_response(
            session=session, **answer, kind="nps", score=9, category="promoter", now=NOW
        )
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            await responses.record_response(
                session=session, **answer, kind="nps", score=3, category="detractor", now=NOW
            )
    async with db.session() as session:
        count = (await session.execute(select(func.count(Response.id)))).scalar_one()
    assert count == 1


async def test_fatigue_looks_at_the_right_family(db: Database) -> None:
    contacts = await _contacts(db, 1)
    await _schedule(db, contacts, NOW)
    async with db.session() as session:
        relationship = await invitations.last_surveyed_at(
            session=session, contact_id=contacts[0], relationship=True
        )
        transactional = await invitations.last_surveyed_at(
            session=session, contact_id=contacts[0], relationship=False
        )
    assert relationship is not None and relationship >= NOW - timedelta(days=90)
    assert transactional is None


async def test_a_row_taken_over_is_no_longer_held_by_its_first_owner(db: Database) -> None:
    contacts = await _contacts(db, 2)
    ids = await _schedule(db, contacts, NOW - timedelta(minutes=1))
    async with db.transaction() as session:
        await invitations.claim_due(session=session, now=NOW, lease=LEASE, limit=10, owner="a")
    later = NOW + LEASE + timedelta(seconds=1)
    async with db.transaction() as session:  # the first owner stalled: its leases ran out
        await invitations.claim_stale_sending(
            session=session, now=later, lease=LEASE, limit=1, owner="b"
        )
    async with db.transaction() as session:
        kept = await invitations.hold(session=session, ids=ids, owner="a", until=later + LEASE)
        taken = await invitations.hold(session=session, ids=ids, owner="b", until=later + LEASE)
    assert len(kept) == len(taken) == 1 and set(kept) | set(taken) == set(ids)
    async with db.transaction() as session:  # only the holder can settle a row
        moved = [
            await invitations.transition(
                session=session,
                invitation_id=i,
                from_statuses=(S.SENDING,),
                values={"status": S.SENT},
                owner="a",
            )
            for i in ids
        ]
    assert sorted(moved) == [False, True]
