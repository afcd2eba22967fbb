"""A view submission sent again is handled once: one follow-up log, one `case.closed`."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.runtime import Runtime
from bot.devkit.emulator import SlackEmulator
from bot.scheduler import drain
from bot.services.surveys import start_relationship_campaign
from storage.models import CaseLog, FollowUpCase, Invitation, OutboxEvent
from tests.harness import SIGNING_SECRET, SlackSender, eventually, json_body
from tests.payloads import block_action, interactive_body, signed_headers, view_submission
from tests.seed import Person, add_people

pytestmark = pytest.mark.postgres
VOC = "CVOC"


async def _rows(rt: Runtime, model: type) -> list[Any]:
    async with rt.db.session() as session:
        return list((await session.execute(select(model))).scalars())


async def _open_case(rt: Runtime, emulator: SlackEmulator, slack: SlackSender) -> int:
    """Ana answers 4: a detractor case with its card in #voc."""
    rt.settings.webhook_url = "http://127.0.0.1:9/hooks"  # events queue in the outbox
    emulator.add_user("U1", email="ana@acme.test", name="Ana")
    await add_people(rt.db, Person("ana@acme.test"))
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    await drain(rt)
    [invitation] = await _rows(rt, Invitation)
    tap = block_action(
        user="U1",
        action_id="survey.rate.4",
        value=f"{invitation.id}:4",
        channel=invitation.dm_channel or "",
        message_ts=invitation.message_ts or "",
        response_url=emulator.new_response_url(),
    )
    assert (await slack.interactive(tap))[0] == 200
    await eventually(lambda: emulator.messages(VOC))
    [case] = await _rows(rt, FollowUpCase)
    return case.id or 0


def _follow_up(case_id: int, outcome: str | None, note: str) -> dict[str, Any]:
    selected = {"selected_option": {"value": outcome} if outcome else None}
    return view_submission(
        user="UA",
        callback_id="case.follow_up",
        private_metadata=str(case_id),
        values={
            "case.outcome": {"case.outcome": {"type": "static_select", **selected}},
            "case.note": {"case.note": {"type": "plain_text_input", "value": note}},
        },
    )


async def test_a_follow_up_submitted_three_times_is_logged_once_with_one_webhook(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    case_id = await _open_case(rt, emulator, slack)
    body = interactive_body(_follow_up(case_id, "recovered", "Called Ana: fixed"))
    headers = signed_headers(SIGNING_SECRET, body)
    for _ in range(3):  # the same signed request, replayed
        assert await slack.post(body, headers) == (200, "")
    # the same payload signed again (another timestamp): still the same submission
    again = signed_headers(SIGNING_SECRET, body, timestamp=int(time.time()) - 7)
    assert await slack.post(body, again) == (200, "")
    await rt.settle()
    assert len(await _rows(rt, CaseLog)) == 1
    closed = [e for e in await _rows(rt, OutboxEvent) if e.type == "case.closed"]
    assert len(closed) == 1
    [case] = await _rows(rt, FollowUpCase)
    assert case.outcome == "recovered" and case.closed_at is not None


async def test_a_submission_refused_by_validation_shows_its_errors_each_time(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    case_id = await _open_case(rt, emulator, slack)
    wrong = _follow_up(case_id, None, "  ")
    for _ in range(2):  # nothing was done: the same Submit again gets the same errors
        status, body = await slack.interactive(wrong)
        assert status == 200 and json_body(body)["response_action"] == "errors"
    right = _follow_up(case_id, "in_progress", "Left a voicemail")
    assert await slack.interactive(right) == (200, "")
    assert await slack.interactive(right) == (200, "")  # Slack lost the ack: Submit again
    await rt.settle()
    assert [log.note for log in await _rows(rt, CaseLog)] == ["Left a voicemail"]
