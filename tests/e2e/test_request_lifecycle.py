"""A request's lifecycle end to end: planned, shipped with a link, asked a week later."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from blocks.requests import SOLVED_ACTIONS, SOLVED_MODAL, SOLVED_NOT_QUITE, SOLVED_YES
from bot.core.runtime import Runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.scheduler import run_due
from storage.models import FeatureRequest, ShipNotice
from tests.e2e.test_voc import _requested, ask, rows, shown
from tests.harness import SlackSender, eventually
from tests.payloads import block_action, view_submission

pytestmark = pytest.mark.postgres
ADMIN = "UADMIN"
PEOPLE = ("U1", "UCSM", "ULOG")  # the contact who asked, Ácme's CSM, who logged it


def _texts(emulator: SlackEmulator, user: str) -> list[str]:
    return [message["text"] for message in emulator.messages(user)]


async def test_plan_is_admin_only_and_tells_everyone_who_asked_once(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    rt.settings.voc_admins = [ADMIN]
    await _requested(rt, emulator, slack)
    refused = await ask(slack, emulator, "plan SSO", user="UNOBODY")
    assert "Only VoC admins can mark features planned" in shown(refused)
    answer = await ask(slack, emulator, "plan sso", user=ADMIN)
    assert "marked planned" in shown(answer) and "Told 3 new people" in shown(answer)
    again = await ask(slack, emulator, "plan SSO", user=ADMIN)
    assert "was already planned" in shown(again) and "Told 0 new people" in shown(again)
    for user in PEOPLE:
        [dm] = _texts(emulator, user)
        assert "You asked for *SSO* — it's planned" in dm
    [request] = await rows(rt.db, FeatureRequest)
    assert (request.status, request.planned_by) == ("planned", ADMIN)
    listed = shown(await ask(slack, emulator, "requests"))
    assert "SSO* (#1 · planned)" in listed


async def test_ship_with_a_link_then_one_question_a_week_later_answered_once(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, clock: FakeClock
) -> None:
    rt.settings.voc_admins = [ADMIN]
    await _requested(rt, emulator, slack)
    assert (await ask(slack, emulator, "plan SSO", user=ADMIN)).ok
    link = "https://docs.example.com/sso?step=1&lang=en"
    answer = await ask(slack, emulator, f"ship SSO {link}", user=ADMIN)
    assert "marked shipped" in shown(answer)
    for user in PEOPLE:
        planned, live = _texts(emulator, user)
        assert "it's planned" in planned and "it's live" in live
        assert "Here's how to use it: https://docs.example.com/sso?step=1&amp;lang=en" in live
    bad = await ask(slack, emulator, "ship SSO https://", user=ADMIN)
    assert "is not a link" in shown(bad)

    await run_due(rt)
    assert len(_texts(emulator, "U1")) == 2  # not asked before the week is out
    clock.advance(timedelta(days=7, minutes=1))
    await run_due(rt)
    await run_due(rt)  # a second pass asks nobody again
    asked = emulator.messages("U1")[-1]
    assert "Did it solve what you needed?" in asked["text"]
    assert [len(_texts(emulator, user)) for user in PEOPLE] == [3, 2, 2]  # customers only
    [buttons] = [b for b in asked["blocks"] if b.get("block_id") == SOLVED_ACTIONS]
    notice_id = buttons["elements"][0]["value"]

    def tap(user: str, action_id: str) -> dict:
        return block_action(
            user=user,
            action_id=action_id,
            value=notice_id,
            channel=emulator.dm_channel("U1"),
            message_ts=asked["ts"],
            response_url=emulator.new_response_url(),
            block_id=SOLVED_ACTIONS,
        )

    await slack.interactive(tap("U1", SOLVED_NOT_QUITE))
    [opened] = await eventually(lambda: emulator.calls_to("views.open", ok=True))
    view = opened.args["view"]
    assert view["callback_id"] == SOLVED_MODAL
    submission = view_submission(
        user="U1",
        callback_id=SOLVED_MODAL,
        private_metadata=view["private_metadata"],
        values={
            "request.solved.comment": {
                "request.solved.comment.input": {
                    "type": "plain_text_input",
                    "value": "<!channel> still need SCIM & groups",
                }
            }
        },
    )
    await slack.interactive(submission)
    await eventually(lambda: emulator.calls_to("chat.update", ok=True))
    await slack.interactive(tap("U1", SOLVED_YES))  # a second answer changes nothing
    await slack.interactive(tap("U9", SOLVED_YES))  # nor does someone else's
    updated = json.dumps(emulator.messages("U1")[-1]["blocks"])
    assert "Not quite" in updated and "Thank you for telling us" in updated

    notices = [n for n in await rows(rt.db, ShipNotice) if n.kind == "asked"]
    assert [(n.user_id, n.answer) for n in notices] == [("U1", "not_quite")]
    assert notices[0].answer_comment == "<!channel> still need SCIM & groups"
    listed = shown(await ask(slack, emulator, "requests"))
    assert "No open feature requests" in listed
    assert "0 yes · 1 not quite" in listed
    assert "&lt;!channel&gt; still need SCIM &amp; groups" in listed
    assert "<!channel>" not in listed
