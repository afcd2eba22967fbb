"""The App Home tab through signed `app_home_opened` events, against the emulator."""

from __future__ import annotations

import json

import pytest

from blocks.ids import VocId
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator, validate_view
from tests.digest_fixture import AS_OF, seed_digest
from tests.harness import SIGNING_SECRET, SlackSender, eventually
from tests.payloads import app_home_opened, block_action, signed_json_headers

pytestmark = pytest.mark.postgres


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(AS_OF)


async def _open_home(slack: SlackSender, user: str, tab: str = "home") -> int:
    body = json.dumps(app_home_opened(user=user, tab=tab))
    status, _ = await slack.post(body, signed_json_headers(SIGNING_SECRET, body))
    return status


def _home_of(emulator: SlackEmulator, user: str) -> dict | None:
    for stored in emulator.views.values():
        if stored["kind"] == "home" and stored.get("user_id") == user:
            return stored["view"]
    return None


async def test_a_csm_sees_their_cases_their_accounts_and_log_feedback(
    emulator: SlackEmulator, slack: SlackSender, rt
) -> None:
    await seed_digest(rt.db)
    assert await _open_home(slack, "UCSM1") == 200
    view = await eventually(lambda: _home_of(emulator, "UCSM1"))
    assert validate_view(view) == []
    shown = json.dumps(view["blocks"], ensure_ascii=False)
    assert "*Your follow-ups*: 4 open, 1 overdue" in shown
    assert ":warning: *overdue* · *Globex*: NPS 3, answered 3d ago, claimed by you" in shown
    assert "*Acme*: NPS 3, answered 20d ago, claimed by you" in shown
    assert "*Your accounts' NPS (90 days)*: +30, good (n=20) across 2 accounts" in shown
    assert "Acme: +50, excellent (n=14)" in shown and "Initech: -17, needs attention (n=6)" in shown
    assert "Globex" not in shown.split("Your accounts' NPS")[1]  # UCSM2's account
    [button] = [e for b in view["blocks"] if b.get("block_id") == "home.actions"
                for e in b["elements"]]  # fmt: skip
    assert (button["action_id"], button["text"]["text"]) == ("voc_log_feedback", "Log feedback")


async def test_the_accounts_csm_sees_cases_someone_else_claimed(
    emulator: SlackEmulator, slack: SlackSender, rt
) -> None:
    await seed_digest(rt.db)
    await _open_home(slack, "UCSM2")
    view = await eventually(lambda: _home_of(emulator, "UCSM2"))
    shown = json.dumps(view["blocks"], ensure_ascii=False)
    assert "*Your follow-ups*: 3 open, 1 overdue" in shown
    assert "claimed by <@UCSM1>" in shown and "Acme" not in shown
    assert (
        "Globex: too few to read (n=5)" not in shown
        and "Globex: -80, needs attention (n=5)" in shown
    )


async def test_someone_with_nothing_gets_a_plain_home_and_messages_tab_is_ignored(
    emulator: SlackEmulator, slack: SlackSender, rt
) -> None:
    assert await _open_home(slack, "UNEW", tab="messages") == 200
    assert await _open_home(slack, "UNEW") == 200
    view = await eventually(lambda: _home_of(emulator, "UNEW"))
    shown = json.dumps(view["blocks"])
    assert "0 open, 0 overdue" in shown and "Nothing waiting on you" in shown
    assert "you own no accounts" in shown
    assert len(emulator.calls_to("views.publish")) == 1  # not for the Messages tab


async def test_an_unsigned_event_publishes_nothing(
    emulator: SlackEmulator, slack: SlackSender
) -> None:
    body = json.dumps(app_home_opened(user="UCSM1"))
    status, _ = await slack.post(body, signed_json_headers("wrong-secret", body))
    assert status == 401
    assert emulator.calls_to("views.publish") == []


async def test_the_log_feedback_button_opens_the_voc_form(
    emulator: SlackEmulator, slack: SlackSender, rt
) -> None:
    await seed_digest(rt.db)
    assert await _open_home(slack, "UCSM1") == 200
    view = await eventually(lambda: _home_of(emulator, "UCSM1"))
    [button] = [e for b in view["blocks"] if b.get("block_id") == "home.actions"
                for e in b["elements"]]  # fmt: skip
    tap = block_action(
        user="UCSM1",
        action_id=button["action_id"],
        value=str(button.get("value", "")),
        channel="D0HOME",
        message_ts="",
        response_url="",
        block_id="home.actions",
    )
    tap["container"] = {"type": "view", "view_id": "VHOME"}
    del tap["message"], tap["response_url"]
    assert (await slack.interactive(tap))[0] == 200
    [opened] = await eventually(lambda: emulator.calls_to("views.open", ok=True))
    form = opened.args["view"]
    form = json.loads(form) if isinstance(form, str) else form
    assert form["callback_id"] == VocId.LOG_MODAL
    assert validate_view(form) == []
