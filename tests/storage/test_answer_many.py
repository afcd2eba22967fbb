"""The batch statements behind group-committed taps: one conditional UPDATE marks every
still-open invitation answered (and only those), one INSERT writes every response."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from bot.domain.records import Answer, NewResponse
from bot.domain.vocabulary import InvitationStatus
from storage import invitations, responses
from storage.db import Database
from storage.models import Invitation, Response
from tests.seed import Person, add_people

pytestmark = pytest.mark.postgres
S = InvitationStatus
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
OPEN = (S.SENDING, S.SENT, S.REMINDED)


async def _invitations(db: Database, statuses: list[str]) -> list[int]:
    contacts = await add_people(db, *(Person(f"p{i}@acme.test") for i in range(len(statuses))))
    ids = []
    async with db.transaction() as session:
        for contact_id, status in zip(contacts, statuses, strict=True):
            invitation = await invitations.create_invitation(
                session=session,
                contact_id=contact_id,
                kind="nps",
                trigger="relationship",
                due_at=NOW,
                now=NOW,
            )
            values = {"status": status, "sent_at": NOW - timedelta(hours=1)}
            if status != S.SENDING:
                values |= {"dm_channel": f"D{contact_id}", "message_ts": "1.000100"}
            await session.execute(
                update(Invitation).where(Invitation.id == invitation.id).values(**values)
            )
            ids.append(invitation.id or 0)
    return ids


async def test_only_open_invitations_are_answered_each_with_its_own_time(db: Database) -> None:
    statuses = [S.SENT, S.REMINDED, S.SENDING, S.ANSWERED, S.EXPIRED]
    ids = await _invitations(db, statuses)
    answers = [
        Answer(key, NOW + timedelta(seconds=i), "DTAPPED", "9.000900")
        for i, key in enumerate([*ids, 999_999])  # and one that does not exist
    ]
    async with db.transaction() as session:
        won = await invitations.answer_many(session=session, answers=answers, from_statuses=OPEN)
    assert won == set(ids[:3])
    async with db.session() as session:
        rows = {row.id: row for row in (await session.execute(select(Invitation))).scalars()}
    for i, key in enumerate(ids[:3]):
        assert rows[key].status == S.ANSWERED
        assert rows[key].answered_at == NOW + timedelta(seconds=i)
        assert rows[key].lease_until is None
    # where the row knew its message it keeps it; the sending one learns it from the tap
    first = rows[ids[0]]
    assert (first.dm_channel, first.message_ts) == (f"D{first.contact_id}", "1.000100")
    assert (rows[ids[2]].dm_channel, rows[ids[2]].message_ts) == ("DTAPPED", "9.000900")
    assert rows[ids[3]].status == S.ANSWERED and rows[ids[3]].answered_at is None  # untouched
    assert rows[ids[4]].status == S.EXPIRED


async def test_one_answer_per_invitation_in_a_batch(db: Database) -> None:
    [key] = await _invitations(db, [S.SENT])
    twice = [Answer(key, NOW), Answer(key, NOW)]
    async with db.transaction() as session:
        with pytest.raises(ValueError, match="one answer per invitation"):
            await invitations.answer_many(session=session, answers=twice, from_statuses=OPEN)


async def test_responses_go_in_one_insert_and_a_second_answer_is_refused(db: Database) -> None:
    ids = await _invitations(db, [S.ANSWERED, S.ANSWERED])
    async with db.session() as session:
        contacts = {
            i.id: i.contact_id for i in (await session.execute(select(Invitation))).scalars()
        }
    rows = [
        NewResponse(key, contacts[key], 1, "nps", score, "promoter", NOW)
        for key, score in zip(ids, (9, 10), strict=True)
    ]
    async with db.transaction() as session:
        recorded = await responses.record_responses(session=session, rows=rows)
    assert set(recorded) == set(ids) and len(set(recorded.values())) == 2
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            await responses.record_responses(session=session, rows=rows[:1])
    async with db.session() as session:
        scores = dict((await session.execute(select(Response.invitation_id, Response.score))).all())
        assert (await session.execute(select(func.count(Response.id)))).scalar_one() == 2
    assert scores == {ids[0]: 9, ids[1]: 10}
