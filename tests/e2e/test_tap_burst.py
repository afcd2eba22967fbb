"""A burst of taps from many people is recorded in shared transactions, each exactly once:
every first tap wins, every repeat gets its note, every DM is updated once."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.core.runtime import Runtime
from bot.devkit.emulator import SlackEmulator
from bot.domain.vocabulary import InvitationStatus
from bot.scheduler import drain
from bot.services.surveys import start_relationship_campaign
from storage.models import Contact, Invitation, Response
from tests.harness import SlackSender, eventually
from tests.payloads import block_action
from tests.seed import Person, add_people

pytestmark = pytest.mark.postgres
PEOPLE = 30


async def test_a_burst_of_first_and_repeated_taps_records_each_answer_once(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    for i in range(PEOPLE):
        emulator.add_user(f"U{i}", email=f"p{i}@acme.test")
    await add_people(rt.db, *(Person(f"p{i}@acme.test") for i in range(PEOPLE)))
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    await drain(rt)
    async with rt.db.session() as session:
        query = select(Invitation, Contact.slack_user_id).join(Contact)
        sent = list((await session.execute(query)).all())
    taps = [
        block_action(
            user=user or "",
            action_id=f"survey.rate.{score}",
            value=f"{invitation.id}:{score}",
            channel=invitation.dm_channel or "",
            message_ts=invitation.message_ts or "",
            response_url=emulator.new_response_url(),
        )
        for score in (9, 3)  # each person taps 9, then 3 while the 9 is being recorded
        for invitation, user in sent
    ]
    statuses = await asyncio.gather(*(slack.interactive(tap) for tap in taps))
    assert {status for status, _ in statuses} == {200}

    notes = lambda: [c.args.get("text", "") for c in emulator.calls_to("response_url")]  # noqa: E731
    await eventually(lambda: len(notes()) == PEOPLE, timeout=30)
    await eventually(lambda: len(emulator.calls_to("chat.update", ok=True)) == PEOPLE, timeout=30)
    assert all("already answered" in note for note in notes())
    async with rt.db.session() as session:
        scores = list((await session.execute(select(Response.score))).scalars())
        statuses_now = set((await session.execute(select(Invitation.status))).scalars())
    assert sorted(scores) == [9] * PEOPLE  # the first tap won everywhere
    assert statuses_now == {InvitationStatus.ANSWERED}
