"""A health case through Slack: the drop posts one card in #voc, Claim and Done are signed
button taps answered by the app, and the card shows each."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.core.runtime import Runtime
from bot.devkit.emulator import SlackEmulator
from bot.devkit.payloads import block_action
from bot.services import health
from storage.models import Account, Contact, HealthCase
from tests.bot.services.test_health import _answers
from tests.harness import SlackSender, eventually
from tests.seed import Person, add_people

pytestmark = pytest.mark.postgres


async def _case(rt: Runtime) -> HealthCase:
    async with rt.db.session() as session:
        return (await session.execute(select(HealthCase))).scalar_one()


async def test_claim_and_done_on_a_health_case(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    [contact_id] = await add_people(rt.db, Person("ana@acme.test", "U1"))
    async with rt.db.transaction() as session:
        account = (await session.execute(select(Account))).scalar_one()
        account.csm_user_id = "UCSM1"
        contact = await session.get(Contact, contact_id)
    now = rt.now()
    await _answers(rt.db, contact, 10, now - timedelta(days=20), n=4)
    await health.recompute(rt, now - timedelta(days=7))
    await _answers(rt.db, contact, 0, now - timedelta(days=2), n=8)
    [case_id] = (await health.recompute(rt, now)).cases
    [card] = emulator.messages("CVOC")
    assert "<@UCSM1>" in json.dumps(card["blocks"])

    def tap(action_id: str) -> dict:  # type: ignore[type-arg]
        return block_action(
            user="UCSM1", action_id=action_id, value=str(case_id), channel="CVOC",
            message_ts=card["ts"], response_url=emulator.new_response_url(), block_id="health",
        )  # fmt: skip

    assert (await slack.interactive(tap("health.claim")))[0] == 200
    claimed = await eventually(lambda: _claimed(rt))
    assert claimed.claimed_by == "UCSM1"
    await eventually(lambda: "is on it" in json.dumps(emulator.messages("CVOC")[0]["blocks"]))
    assert (await slack.interactive(tap("health.close")))[0] == 200
    closed = await eventually(lambda: _closed(rt))
    assert closed.open_account_id is None
    assert len(emulator.messages("CVOC")) == 1


async def _claimed(rt: Runtime) -> HealthCase | None:
    case = await _case(rt)
    return case if case.claimed_by else None


async def _closed(rt: Runtime) -> HealthCase | None:
    case = await _case(rt)
    return case if case.closed_at else None
