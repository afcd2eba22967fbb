"""A listener whose work fails after the ack: the person is told, in their language, once."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, text

from bot.core.runtime import Runtime
from bot.devkit.emulator import SlackEmulator
from bot.domain.vocabulary import InvitationStatus
from bot.scheduler import drain
from bot.services.surveys import start_relationship_campaign
from storage.models import Invitation
from tests.harness import SlackSender, eventually
from tests.payloads import block_action, view_submission
from tests.seed import Person, add_people

pytestmark = pytest.mark.postgres
EMAIL = "ana@acme.test"
NOT_SAVED_EN = "did not save"
NOT_SAVED_MS = "tidak disimpan"


async def _one_survey(rt: Runtime, emulator: SlackEmulator, locale: str | None) -> Invitation:
    emulator.add_user("U1", email=EMAIL, tz="Asia/Kuala_Lumpur", locale=locale)
    await add_people(rt.db, Person(EMAIL))
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    await drain(rt)
    async with rt.db.session() as session:
        [invitation] = (await session.execute(select(Invitation))).scalars()
    return invitation


async def _lose_responses_table(rt: Runtime) -> None:
    """A real failure for the work after the ack: the table answers are stored in is gone."""
    async with rt.db.transaction() as session:
        await session.execute(text("ALTER TABLE responses RENAME TO responses_gone"))


def _tap(emulator: SlackEmulator, invitation: Invitation, *, locale: str | None = None) -> dict:
    return block_action(
        user="U1",
        action_id="survey.rate.9",
        value=f"{invitation.id}:9",
        channel=invitation.dm_channel or "",
        message_ts=invitation.message_ts or "",
        response_url=emulator.new_response_url(),
        locale=locale,
    )


def _errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


def _notes(emulator: SlackEmulator) -> list[str]:
    return [str(c.args.get("text", "")) for c in emulator.calls_to("response_url")]


@pytest.mark.parametrize(
    ("contact_locale", "slack_locale", "said"),
    [
        ("en-US", None, NOT_SAVED_EN),
        ("ms-MY", None, NOT_SAVED_MS),
        ("en-US", "ms-MY", NOT_SAVED_EN),  # the contact's own locale comes first
    ],
)
async def test_a_tap_that_fails_after_the_ack_says_so_in_the_persons_language(
    rt: Runtime,
    emulator: SlackEmulator,
    slack: SlackSender,
    caplog: pytest.LogCaptureFixture,
    contact_locale: str,
    slack_locale: str | None,
    said: str,
) -> None:
    invitation = await _one_survey(rt, emulator, contact_locale)
    await _lose_responses_table(rt)
    caplog.set_level(logging.INFO)

    status, _ = await slack.interactive(_tap(emulator, invitation, locale=slack_locale))

    assert status == 200  # acked before the work failed
    [note] = await eventually(lambda: _notes(emulator))
    assert said in note
    assert "try again" in note.lower() or "cuba lagi" in note.lower()
    [call] = emulator.calls_to("response_url")
    assert call.args["response_type"] == "ephemeral" and call.args["replace_original"] is False
    [line] = _errors(caplog)
    assert line.name == "handlers.slack.errors"
    assert line.listener == "survey.rate.9"
    assert line.error in {"OperationalError", "ProgrammingError"}
    assert EMAIL not in line.getMessage() and line.exc_info is None
    async with rt.db.session() as session:
        stored = await session.get(Invitation, invitation.id)
    assert stored is not None and stored.status == InvitationStatus.SENT  # nothing was saved
    assert not emulator.calls_to("chat.update")


async def test_a_modal_that_fails_after_the_ack_says_so_in_a_dm(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, caplog: pytest.LogCaptureFixture
) -> None:
    invitation = await _one_survey(rt, emulator, "ms-MY")
    await _lose_responses_table(rt)
    caplog.set_level(logging.INFO)
    posted_before = len(emulator.calls_to("chat.postMessage"))
    submission = view_submission(
        user="U1",
        callback_id="survey.comment",
        private_metadata=str(invitation.id),
        values={"survey.comment": {"survey.comment.input": {"value": "slow support"}}},
    )

    status, _ = await slack.interactive(submission)

    assert status == 200
    posts = await eventually(lambda: emulator.calls_to("chat.postMessage")[posted_before:] or None)
    [dm] = posts
    assert dm.args["channel"] == "U1" and NOT_SAVED_MS in dm.args["text"]
    [line] = _errors(caplog)
    assert line.listener == "survey.comment"
    assert "slow support" not in line.getMessage()


async def test_a_slack_failure_after_the_ack_is_reported_once(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, caplog: pytest.LogCaptureFixture
) -> None:
    """The emulator fails the call the listener needs (views.open) for real."""
    invitation = await _one_survey(rt, emulator, None)
    caplog.set_level(logging.INFO)
    emulator.fail("views.open", error="internal_error")
    why = block_action(
        user="U1",
        action_id="survey.tell_why",
        value=str(invitation.id),
        channel=invitation.dm_channel or "",
        message_ts=invitation.message_ts or "",
        response_url=emulator.new_response_url(),
        block_id="survey.actions",
    )
    await slack.interactive(_tap(emulator, invitation))
    await eventually(lambda: emulator.calls_to("chat.update"))

    assert (await slack.interactive(why))[0] == 200

    [note] = await eventually(lambda: _notes(emulator))
    assert NOT_SAVED_EN in note
    [line] = _errors(caplog)
    assert (line.listener, line.error) == (
        "survey.tell_why",
        "SlackUnavailable",  # the project's name for Slack's internal_error (bot/core/errors.py)
    )


async def test_payloads_that_do_not_fit_are_acked_politely_not_failed(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, caplog: pytest.LogCaptureFixture
) -> None:
    invitation = await _one_survey(rt, emulator, None)
    caplog.set_level(logging.INFO)
    no_user = {**_tap(emulator, invitation), "user": {"name": "who?"}}
    bad_state = view_submission(
        user="U1", callback_id="survey.comment", private_metadata="1", values={}
    )
    bad_state["view"]["state"] = {"values": ["not", "a", "map"]}
    follow_up = view_submission(
        user="U1", callback_id="case.follow_up", private_metadata="1", values={}
    )
    follow_up["view"]["private_metadata"] = {"not": "text"}

    for payload in (no_user, bad_state, follow_up):
        status, answer = await slack.interactive(payload)
        assert (status, answer) == (200, "")

    assert not _errors(caplog)
    assert len([r for r in caplog.records if r.name == "handlers.slack.payloads"]) == 3
    async with rt.db.session() as session:
        stored = await session.get(Invitation, invitation.id)
    assert stored is not None and stored.status == InvitationStatus.SENT
