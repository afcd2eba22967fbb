"""Taps that share one batch (storage/group_commit.py) share its statements, yet each is
judged alone: the first tap on a survey wins, a double tap in the same batch is "already
answered", and stale, foreign or unknown taps record nothing."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import insert, select, update

from bot.core.runtime import Runtime
from bot.devkit.emulator import SlackEmulator
from bot.domain.outcomes import TapOutcome
from bot.domain.vocabulary import InvitationStatus
from bot.scheduler import drain
from bot.services.surveys import start_relationship_campaign
from bot.services.taps import TapResult, record_tap
from storage.group_commit import GroupCommit
from storage.models import Contact, FollowUpCase, Invitation, Response
from tests.seed import Person, add_people

pytestmark = pytest.mark.postgres
T = TapOutcome


async def _sent(rt: Runtime, emulator: SlackEmulator, people: int) -> list[tuple[int, str]]:
    """`people` surveys sent; (invitation id, the person's Slack id) each."""
    for i in range(people):
        emulator.add_user(f"U{i}", email=f"p{i}@acme.test")
    await add_people(rt.db, *(Person(f"p{i}@acme.test") for i in range(people)))
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    await drain(rt)
    async with rt.db.session() as session:
        query = select(Invitation.id, Contact.slack_user_id).join(Contact).order_by(Invitation.id)
        return [(key, user or "") for key, user in (await session.execute(query)).all()]


async def _one_batch(rt: Runtime, taps: list[tuple[int, int, str]]) -> list[TapResult]:
    """Record (invitation, score, user) taps, all in one batch: it waits until it has them."""
    rt.commits = GroupCommit(rt.db, max_batch=len(taps), max_wait=30.0)
    return await asyncio.gather(
        *(
            record_tap(
                rt,
                invitation_id=key,
                score=score,
                user_id=user,
                channel=None,
                message_ts=None,
                now=rt.now(),
            )
            for key, score, user in taps
        )
    )


async def _scores(rt: Runtime) -> dict[int, int]:
    async with rt.db.session() as session:
        return dict((await session.execute(select(Response.invitation_id, Response.score))).all())


async def test_two_taps_on_one_survey_in_one_batch_record_one_answer(
    rt: Runtime, emulator: SlackEmulator
) -> None:
    [(key, user)] = await _sent(rt, emulator, 1)
    first, second = await _one_batch(rt, [(key, 9, user), (key, 3, user)])
    assert first.outcome is T.RECORDED and first.response_id is not None
    assert second.outcome is T.ANSWERED
    assert await _scores(rt) == {key: 9}


async def test_a_batch_mixing_new_double_stale_foreign_and_unknown_taps(
    rt: Runtime, emulator: SlackEmulator
) -> None:
    (a, ua), (b, ub), (c, uc), (d, ud), (e, ue) = await _sent(rt, emulator, 5)
    [earlier] = await _one_batch(rt, [(d, 7, ud)])  # d was answered before this batch
    assert earlier.outcome is T.RECORDED
    async with rt.db.transaction() as session:  # e expired before anyone tapped it
        await session.execute(
            update(Invitation)
            .where(Invitation.id == e)
            .values(status=InvitationStatus.EXPIRED, closed_at=rt.now())
        )
    results = await _one_batch(
        rt,
        [
            (a, 9, ua),
            (b, 8, ua),  # someone else's survey
            (a, 4, ua),  # a double tap, in the same batch
            (d, 10, ud),  # answered in an earlier batch
            (e, 9, ue),  # closed
            (999_999, 9, ua),  # no such survey
            (b, 10, ub),  # b's own person: still first, after the foreign tap
            (c, 2, uc),  # unhappy: a case opens with the answer
        ],
    )
    assert [r.outcome for r in results] == [
        T.RECORDED,
        T.NOT_YOURS,
        T.ANSWERED,
        T.ANSWERED,
        T.CLOSED,
        T.UNKNOWN,
        T.RECORDED,
        T.RECORDED,
    ]
    assert await _scores(rt) == {a: 9, b: 10, c: 2, d: 7}
    assert results[7].case_id is not None and results[0].case_id is None
    async with rt.db.session() as session:
        cases = list((await session.execute(select(FollowUpCase.invitation_id))).scalars())
        statuses = dict((await session.execute(select(Invitation.id, Invitation.status))).all())
    assert cases == [c]
    assert statuses[e] == InvitationStatus.EXPIRED
    assert {statuses[k] for k in (a, b, c, d)} == {InvitationStatus.ANSWERED}


async def test_a_batch_the_database_refuses_is_recorded_tap_by_tap(
    rt: Runtime, emulator: SlackEmulator
) -> None:
    (a, ua), (b, ub), (c, uc) = await _sent(rt, emulator, 3)
    async with rt.db.transaction() as session:  # b has a response although still open
        contact = (
            await session.execute(select(Invitation.contact_id).where(Invitation.id == b))
        ).scalar_one()
        await session.execute(
            insert(Response).values(
                invitation_id=b,
                contact_id=contact,
                account_id=1,
                kind="nps",
                score=5,
                category="detractor",
                answered_at=rt.now(),
            )
        )
    results = await _one_batch(rt, [(a, 9, ua), (b, 9, ub), (c, 9, uc)])
    # the batch's INSERT fails on b's unique key; each tap then runs alone
    assert [r.outcome for r in results] == [T.RECORDED, T.ANSWERED, T.RECORDED]
    assert await _scores(rt) == {a: 9, b: 5, c: 9}
