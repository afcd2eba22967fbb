"""A person who says "Don't ask me again", or whom `forget` erases, is left no survey DM with
buttons to tap: every survey of theirs still open closes and its DM is redrawn."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.core.runtime import Runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.domain.vocabulary import InvitationStatus
from bot.scheduler import drain
from bot.services import privacy
from bot.services.surveys import start_relationship_campaign
from bot.services.transactional import schedule_for_event
from storage.models import Invitation
from tests.harness import SlackSender, eventually
from tests.payloads import block_action
from tests.seed import Person, add_people

pytestmark = pytest.mark.postgres
S = InvitationStatus
ANA = "ana@acme.test"


async def _invitations(rt: Runtime) -> list[Invitation]:
    async with rt.db.session() as session:
        return list((await session.execute(select(Invitation).order_by(Invitation.id))).scalars())


async def _two_open_surveys(rt: Runtime, emulator: SlackEmulator) -> list[Invitation]:
    """An NPS survey and a ticket's CSAT survey, both sent to Ana and unanswered."""
    emulator.add_user("U1", email=ANA, tz="UTC")
    await add_people(rt.db, Person(ANA, tz="UTC"))
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    await schedule_for_event(
        rt,
        event="ticket_closed",
        email=ANA,
        occurred_at=rt.now(),
        context=None,
        event_id="ticket-1",
        now=rt.now(),
    )
    await drain(rt)
    sent = [i for i in await _invitations(rt) if i.status == S.SENT]  # CES waits on CSAT
    assert len(sent) == 2
    assert len({i.message_ts for i in sent}) == 2
    return sent


def _shown(emulator: SlackEmulator, invitation: Invitation) -> str:
    """The survey's DM as Slack now shows it (its blocks, as JSON)."""
    [message] = [
        m
        for m in emulator.messages(invitation.dm_channel or "")
        if m.get("ts") == invitation.message_ts
    ]
    return json.dumps(message.get("blocks", []))


def _buttons_left(emulator: SlackEmulator, invitation: Invitation) -> bool:
    return '"button"' in _shown(emulator, invitation)


async def test_dont_ask_me_again_closes_every_open_survey_and_its_buttons(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, clock: FakeClock
) -> None:
    """Fails before: the NPS DM kept its buttons (and stayed open) after an opt-out on the
    CSAT survey."""
    nps, csat = await _two_open_surveys(rt, emulator)
    assert _buttons_left(emulator, nps) and _buttons_left(emulator, csat)
    await slack.interactive(
        block_action(
            user="U1",
            action_id="survey.opt_out",
            value=str(csat.id),
            channel=csat.dm_channel or "",
            message_ts=csat.message_ts or "",
            response_url=emulator.new_response_url(),
            block_id="survey.actions",
        )
    )
    await eventually(lambda: len(emulator.calls_to("chat.update", ok=True)) == 2)
    assert not _buttons_left(emulator, nps) and not _buttons_left(emulator, csat)
    assert [i.status for i in await _invitations(rt)] == [S.EXPIRED, S.EXPIRED, S.SKIPPED]
    assert "any more feedback surveys" in _shown(emulator, nps)


async def test_forget_takes_the_buttons_off_the_persons_open_surveys(
    rt: Runtime, emulator: SlackEmulator
) -> None:
    """Fails before: after `forget`, the erased person's DMs still showed rating buttons."""
    nps, csat = await _two_open_surveys(rt, emulator)
    forgotten = await privacy.forget(rt, ANA)
    assert forgotten.changed["invitations (open surveys closed)"] == 2
    assert not _buttons_left(emulator, nps) and not _buttons_left(emulator, csat)
    assert [i.status for i in await _invitations(rt)] == [S.EXPIRED, S.EXPIRED, S.SKIPPED]
    updates = emulator.calls_to("chat.update", ok=True)
    assert {c.args["ts"] for c in updates} == {nps.message_ts, csat.message_ts}
    assert all(ANA not in json.dumps(c.args) for c in updates)  # nothing names her
