"""A health case is a case of the follow-up loop, driven like Slack does: the drop posts
one card in #voc, its CSM claims it with the card's Claim button, a second slide while it
is open opens nothing, 48h without a log escalate it like an answer's case, Log follow-up
closes it, and App Home and the digest's follow-up completion count it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.core.runtime import Runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.scheduler import run_due
from bot.services import digest, health
from storage.models import Account, AccountHealth, Contact, FollowUpCase
from tests.bot.services.test_health import _answers
from tests.harness import SIGNING_SECRET, SlackSender, eventually
from tests.payloads import app_home_opened, block_action, signed_json_headers, view_submission
from tests.seed import Person, add_people

pytestmark = pytest.mark.postgres
VOC = "CVOC"


async def _cases(rt: Runtime) -> list[FollowUpCase]:
    async with rt.db.session() as session:
        return list((await session.execute(select(FollowUpCase))).scalars())


def _card(emulator: SlackEmulator) -> dict:  # type: ignore[type-arg]
    [card] = [m for m in emulator.messages(VOC) if not m.get("thread_ts")]
    return card


def _tap(emulator: SlackEmulator, action_id: str, case_id: int) -> dict:  # type: ignore[type-arg]
    return block_action(
        user="UCSM1", action_id=action_id, value=str(case_id), channel=VOC,
        message_ts=_card(emulator)["ts"], response_url=emulator.new_response_url(),
        block_id="case.actions",
    )  # fmt: skip


def _replies(emulator: SlackEmulator) -> list[str]:
    return [
        c.args["text"]
        for c in emulator.calls_to("chat.postMessage", ok=True)
        if c.args.get("thread_ts")
    ]


async def _home(emulator: SlackEmulator, slack: SlackSender) -> str:
    emulator.views.clear()
    body = json.dumps(app_home_opened(user="UCSM1"))
    assert (await slack.post(body, signed_json_headers(SIGNING_SECRET, body)))[0] == 200

    def shown() -> str | None:
        for stored in emulator.views.values():
            if stored["kind"] == "home" and stored.get("user_id") == "UCSM1":
                return json.dumps(stored["view"]["blocks"], ensure_ascii=False)
        return None

    return await eventually(shown)


async def test_a_health_drop_goes_through_the_one_follow_up_loop(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, clock: FakeClock
) -> None:
    [contact_id] = await add_people(rt.db, Person("ana@acme.test", "U1"))
    async with rt.db.transaction() as session:
        await session.execute(update(Account).values(csm_user_id="UCSM1", name="Acme <!here>"))
        contact = await session.get(Contact, contact_id)
    start = rt.now()
    await _answers(rt.db, contact, 10, start - timedelta(days=20), n=4)
    await health.recompute(rt, start - timedelta(days=7))
    await _answers(rt.db, contact, 0, start - timedelta(days=2), n=8)

    # the drop: exactly one case, of the loop, with one card in #voc
    [case_id] = (await health.recompute(rt, start)).cases
    [case] = await _cases(rt)
    assert (case.id, case.kind) == (case_id, "health")
    assert (case.response_id, case.invitation_id, case.contact_id) == (None, None, None)
    assert case.health_change is not None and case.health_change <= -15 and case.why
    card = json.dumps(_card(emulator)["blocks"], ensure_ascii=False)
    assert "<@UCSM1>" in card and "NPS 100 →" in card and f"Health {case.score}" in card
    assert "<!here>" not in card and "Acme &lt;!here&gt;" in card
    assert "case.claim" in card and "case.log" in card

    # its CSM claims it with the card's button
    assert (await slack.interactive(_tap(emulator, "case.claim", case_id)))[0] == 200
    await eventually(lambda: "Claimed by <@UCSM1>" in json.dumps(_card(emulator)["blocks"]))

    # the next week slides again while it is open: no second case
    async with rt.db.transaction() as session:
        await session.execute(update(AccountHealth).values(score=95))
    await _answers(rt.db, contact, 0, start + timedelta(days=5), n=8)
    assert (await health.recompute(rt, start + timedelta(days=7))).cases == []
    assert len(await _cases(rt)) == 1 and len(emulator.messages(VOC)) == 1

    # App Home: the open, overdue case is the CSM's
    clock.advance(rt.settings.escalate_after + timedelta(minutes=1))
    home = await _home(emulator, slack)
    assert "*Your follow-ups*: 1 open, 1 overdue" in home
    assert ":warning: *overdue* · *Acme &lt;!here&gt;*: health" in home

    # 48h without a log: the same ladder as an answer's case, to the one who claimed it
    await run_due(rt)
    [reminder] = _replies(emulator)
    assert reminder.startswith("<@UCSM1> Reminder 1 of 3: no follow-up logged 48h after the")
    assert "You claimed this case" in reminder

    # Log follow-up (the same modal) closes it
    assert (await slack.interactive(_tap(emulator, "case.log", case_id)))[0] == 200
    [opened] = await eventually(lambda: emulator.calls_to("views.open", ok=True))
    view = opened.args["view"]
    submit = view_submission(
        user="UCSM1", callback_id=view["callback_id"], private_metadata=view["private_metadata"],
        values={
            "case.outcome": {"case.outcome": {"type": "static_select",
                                              "selected_option": {"value": "recovered"}}},
            "case.note": {"case.note": {"type": "plain_text_input", "value": "Called them"}},
        },
    )  # fmt: skip
    assert (await slack.interactive(submit))[0] == 200
    await eventually(lambda: "Recovered" in json.dumps(_card(emulator)["blocks"]))
    [case] = await _cases(rt)
    assert case.closed_at is not None and case.outcome == "recovered"
    clock.advance(timedelta(days=3))
    await run_due(rt)
    assert len(_replies(emulator)) == 1  # logged: no more reminders
    assert "*Your follow-ups*: 0 open, 0 overdue" in await _home(emulator, slack)

    # the digest's follow-up completion counts it: opened, logged after its 48h
    built = await digest.build_digest(rt, rt.now())
    assert (built.completion.overall.done, built.completion.overall.total) == (0, 1)
    assert (built.completion.open_cases, built.completion.overdue_cases) == (0, 0)
