"""Logs at INFO carry ids and counts, never who a person is or what they wrote."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import update

from bot.core.runtime import Runtime
from bot.devkit.emulator import SlackEmulator
from bot.scheduler import drain
from bot.services.surveys import start_relationship_campaign
from storage.models import Contact
from tests.harness import SlackSender, eventually
from tests.payloads import block_action, view_submission
from tests.seed import Person, add_people

pytestmark = pytest.mark.postgres
EMAIL = "ana.secret@acme.test"
NAME = "Anastasia Secretariat"
COMMENT = "Support ignored our outage for three days (ticket zebra-quartz)"


def _everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    """Each record's message and every value attached to it, as one text.

    The Slack emulator's own access log is left out: it stands in for Slack, whose API
    receives the email (users.lookupByEmail) by design.
    """
    texts = []
    for record in caplog.records:
        if record.name == "aiohttp.access" and "/api/" in record.getMessage():
            continue
        texts.append(record.getMessage())
        texts += [repr(value) for value in vars(record).values()]
    return "\n".join(texts)


async def test_a_survey_answered_with_a_comment_logs_no_personal_data_at_info(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    for name in ("bot", "handlers", "storage"):  # whatever an earlier test set them to
        caplog.set_level(logging.INFO, logger=name)
    emulator.add_user("U1", email=EMAIL, name=NAME, tz="Asia/Kuala_Lumpur")
    await add_people(rt.db, Person(EMAIL))
    async with rt.db.transaction() as session:
        await session.execute(update(Contact).values(name=NAME))
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    await drain(rt)
    dm, ts = emulator.dm_channel("U1"), emulator.messages(emulator.dm_channel("U1"))[0]["ts"]
    invitation_id = emulator.messages(dm)[0]["metadata"]["event_payload"]["invitation_id"]

    tap = block_action(
        user="U1",
        action_id="survey.rate.2",
        value=f"{invitation_id}:2",
        channel=dm,
        message_ts=ts,
        response_url=emulator.new_response_url(),
    )
    assert (await slack.interactive(tap))[0] == 200
    await eventually(lambda: emulator.messages("CVOC"))  # the detractor's #voc card
    why = block_action(
        user="U1",
        action_id="survey.tell_why",
        value=str(invitation_id),
        channel=dm,
        message_ts=ts,
        response_url=emulator.new_response_url(),
        block_id="survey.actions",
    )
    await slack.interactive(why)
    [opened] = await eventually(lambda: emulator.calls_to("views.open", ok=True))
    submission = view_submission(
        user="U1",
        callback_id=opened.args["view"]["callback_id"],
        private_metadata=opened.args["view"]["private_metadata"],
        values={
            "survey.comment": {
                "survey.comment.input": {"type": "plain_text_input", "value": COMMENT}
            }
        },
    )
    assert (await slack.interactive(submission))[0] == 200
    await eventually(lambda: len(emulator.calls_to("chat.update", ok=True)) >= 2)

    logged = _everything_logged(caplog)
    assert "response recorded" in logged  # the flow did log at INFO
    for personal in (EMAIL, NAME, "zebra-quartz"):
        assert personal not in logged
