"""Survey DMs end to end: the campaign, the scheduler, signed taps, the emulator's record."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.core.runtime import Runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.domain.vocabulary import InvitationStatus
from bot.scheduler import drain, run_due
from bot.services.surveys import start_relationship_campaign
from storage.models import Contact, Invitation, Response
from tests.harness import SlackSender, eventually
from tests.payloads import block_action, view_submission
from tests.seed import Person, add_people

S = InvitationStatus
pytestmark = pytest.mark.postgres


async def _invitations(rt: Runtime) -> list[Invitation]:
    async with rt.db.session() as session:
        return list((await session.execute(select(Invitation).order_by(Invitation.id))).scalars())


async def _response_count(rt: Runtime) -> int:
    async with rt.db.session() as session:
        return (await session.execute(select(func.count(Response.id)))).scalar_one()


async def _one_survey(rt: Runtime, emulator: SlackEmulator, kind: str = "nps") -> Invitation:
    emulator.add_user("U1", email="ana@acme.test", tz="Asia/Kuala_Lumpur")
    await add_people(rt.db, Person("ana@acme.test"))
    await start_relationship_campaign(rt, kind=kind, now=rt.now(), send_now=True)
    await drain(rt)
    [invitation] = await _invitations(rt)
    assert invitation.status == S.SENT
    return invitation


def _tap(emulator: SlackEmulator, invitation: Invitation, score: int, user: str = "U1") -> dict:
    return block_action(
        user=user,
        action_id=f"survey.rate.{score}",
        value=f"{invitation.id}:{score}",
        channel=invitation.dm_channel or "",
        message_ts=invitation.message_ts or "",
        response_url=emulator.new_response_url(),
    )


def _notes(emulator: SlackEmulator) -> list[str]:
    return [c.args.get("text", "") for c in emulator.calls_to("response_url")]


async def test_send_now_delivers_one_dm_per_contact_with_metadata(
    rt: Runtime, emulator: SlackEmulator
) -> None:
    emulator.add_user("U1", email="ana@acme.test", tz="Asia/Kuala_Lumpur", locale="ms-MY")
    emulator.add_user("U2", email="ben@acme.test", tz="America/New_York")
    await add_people(rt.db, Person("ana@acme.test"), Person("Ben@Acme.test".lower(), "U2"))
    report = await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    assert (report.created, sum(report.skipped.values())) == (2, 0)

    await drain(rt)

    posts = emulator.calls_to("chat.postMessage", ok=True)
    assert sorted(c.args["channel"] for c in posts) == ["U1", "U2"]
    invitations = await _invitations(rt)
    assert {i.status for i in invitations} == {S.SENT}
    for invitation in invitations:
        [message] = emulator.messages(invitation.dm_channel or "")
        assert message["ts"] == invitation.message_ts
        assert message["metadata"]["event_payload"]["invitation_id"] == invitation.id
    async with rt.db.session() as session:
        ana = (await session.execute(select(Contact).where(Contact.slack_user_id == "U1"))).one()
    assert ana[0].tz == "Asia/Kuala_Lumpur" and ana[0].locale == "ms-MY"
    assert "mengesyorkan" in json.dumps(emulator.messages("U1")[0]["blocks"])
    await drain(rt)
    assert len(emulator.calls_to("chat.postMessage")) == 2  # nothing is sent twice


async def test_a_tap_is_recorded_and_the_dm_updated_in_place(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    invitation = await _one_survey(rt, emulator)
    emulator.delay("chat.update", 0.5)
    status, _ = await slack.interactive(_tap(emulator, invitation, 3))
    assert status == 200
    assert not emulator.calls_to("chat.update")  # acked before the DM's update was answered

    update = await eventually(lambda: emulator.calls_to("chat.update", ok=True))
    assert update[0].args["ts"] == invitation.message_ts
    shown = json.dumps(emulator.messages(invitation.dm_channel or "")[0]["blocks"])
    assert "*3*" in shown and "survey.tell_why" in shown and "survey.rate." not in shown
    async with rt.db.session() as session:
        response = (await session.execute(select(Response))).scalar_one()
        stored = await session.get(Invitation, invitation.id)
    assert (response.score, response.category, response.kind) == (3, "detractor", "nps")
    assert stored is not None and stored.status == S.ANSWERED


async def test_the_updated_dm_notification_is_in_the_persons_language(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    emulator.add_user("U1", email="ana@acme.test", locale="ms-MY")
    await add_people(rt.db, Person("ana@acme.test"))
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    await drain(rt)
    [invitation] = await _invitations(rt)
    posted = emulator.calls_to("chat.postMessage", ok=True)[0].args["text"]
    assert (await slack.interactive(_tap(emulator, invitation, 3)))[0] == 200
    [update] = await eventually(lambda: emulator.calls_to("chat.update", ok=True))
    assert update.args["text"] == posted  # the Malay fallback text, not the English one
    assert "recommend" not in update.args["text"]


async def test_twenty_concurrent_taps_record_one_response(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    invitation = await _one_survey(rt, emulator)
    taps = [slack.interactive(_tap(emulator, invitation, score % 11)) for score in range(20)]
    statuses = await asyncio.gather(*taps)
    assert {status for status, _ in statuses} == {200}
    await eventually(lambda: len(_notes(emulator)) == 19)
    assert await _response_count(rt) == 1
    assert len(emulator.calls_to("chat.update")) == 1
    assert all("already answered" in note for note in _notes(emulator))


async def test_the_same_tap_retried_by_slack_counts_once(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    invitation = await _one_survey(rt, emulator)
    payload = _tap(emulator, invitation, 9)
    for _ in range(3):
        assert (await slack.interactive(payload))[0] == 200
    await eventually(lambda: len(_notes(emulator)) == 2)
    assert await _response_count(rt) == 1


async def test_forged_or_stale_requests_are_refused_and_change_nothing(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    invitation = await _one_survey(rt, emulator)
    payload = _tap(emulator, invitation, 10)
    forged = SlackSender(slack.url.removesuffix("/slack/events"), secret="not-the-secret")
    try:
        status, body = await forged.interactive(payload)
    finally:
        await forged.close()
    stale_status, _ = await slack.interactive(payload, timestamp=int(time.time()) - 600)
    assert status == 401 and "invalid request" in body
    assert stale_status == 401
    await asyncio.sleep(0.2)
    assert await _response_count(rt) == 0
    assert emulator.calls_to("chat.update") == [] and _notes(emulator) == []


async def test_someone_elses_tap_records_nothing_and_gets_a_note(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    invitation = await _one_survey(rt, emulator)
    await slack.interactive(_tap(emulator, invitation, 0, user="U999"))
    [note] = await eventually(lambda: _notes(emulator))
    assert "sent to someone else" in note
    assert await _response_count(rt) == 0
    assert emulator.calls_to("chat.update") == []


async def test_expired_survey_closes_and_refuses_taps(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, clock: FakeClock
) -> None:
    invitation = await _one_survey(rt, emulator)
    clock.advance(rt.settings.expire_after)
    await run_due(rt)
    [stored] = await _invitations(rt)
    assert stored.status == S.EXPIRED
    closed = json.dumps(emulator.messages(invitation.dm_channel or "")[0]["blocks"])
    assert "survey.rate." not in closed and "closed" in closed
    await slack.interactive(_tap(emulator, invitation, 8))
    [note] = await eventually(lambda: _notes(emulator))
    assert "closed" in note
    assert await _response_count(rt) == 0


async def test_one_reminder_then_expiry(
    rt: Runtime, emulator: SlackEmulator, clock: FakeClock
) -> None:
    invitation = await _one_survey(rt, emulator)
    clock.advance(rt.settings.reminder_after - timedelta(minutes=1))
    await run_due(rt)
    assert len(emulator.messages(invitation.dm_channel or "")) == 1
    clock.advance(timedelta(minutes=2))
    await run_due(rt)
    clock.advance(timedelta(days=3))
    await run_due(rt)
    messages = emulator.messages(invitation.dm_channel or "")
    assert len(messages) == 2 and "reminder" in messages[1]["text"]
    clock.advance(rt.settings.expire_after)
    await run_due(rt)
    assert len(emulator.messages(invitation.dm_channel or "")) == 2
    [stored] = await _invitations(rt)
    assert stored.status == S.EXPIRED


async def test_tell_us_why_stores_the_comment_exactly_and_shows_it_escaped(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    invitation = await _one_survey(rt, emulator)
    await slack.interactive(_tap(emulator, invitation, 4))
    await eventually(lambda: emulator.calls_to("chat.update"))
    why = block_action(
        user="U1",
        action_id="survey.tell_why",
        value=str(invitation.id),
        channel=invitation.dm_channel or "",
        message_ts=invitation.message_ts or "",
        response_url=emulator.new_response_url(),
        block_id="survey.actions",
    )
    await slack.interactive(why)
    [opened] = await eventually(lambda: emulator.calls_to("views.open", ok=True))
    view = opened.args["view"]
    assert view["private_metadata"] == str(invitation.id)
    assert opened.args["trigger_id"] == why["trigger_id"]

    comment = "<!channel> support took 3 days & nobody <@U777> answered"
    submission = view_submission(
        user="U1",
        callback_id=view["callback_id"],
        private_metadata=view["private_metadata"],
        values={
            "survey.comment": {
                "survey.comment.input": {"type": "plain_text_input", "value": comment}
            }
        },
    )
    status, _ = await slack.interactive(submission)
    assert status == 200
    dm = invitation.dm_channel

    def comment_shown() -> bool:
        updates = [c for c in emulator.calls_to("chat.update", ok=True) if c.args["channel"] == dm]
        return len(updates) == 2 and "support took 3 days" in json.dumps(updates[-1].args)

    await eventually(comment_shown)
    async with rt.db.session() as session:
        response = (await session.execute(select(Response))).scalar_one()
    assert response.comment == comment
    shown = json.dumps(emulator.messages(invitation.dm_channel or "")[0]["blocks"])
    assert "<!channel>" not in shown and "<@U777>" not in shown
    assert "&lt;!channel&gt; support took 3 days &amp; nobody &lt;@U777&gt;" in shown


async def test_dont_ask_me_again_opts_out_for_good(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, clock: FakeClock
) -> None:
    invitation = await _one_survey(rt, emulator)
    opt_out = block_action(
        user="U1",
        action_id="survey.opt_out",
        value=str(invitation.id),
        channel=invitation.dm_channel or "",
        message_ts=invitation.message_ts or "",
        response_url=emulator.new_response_url(),
        block_id="survey.actions",
    )
    await slack.interactive(opt_out)
    await eventually(lambda: emulator.calls_to("chat.update"))
    async with rt.db.session() as session:
        contact = (await session.execute(select(Contact))).scalar_one()
    assert contact.opted_out
    clock.advance(timedelta(days=200))
    report = await start_relationship_campaign(rt, kind="csat", now=rt.now(), send_now=True)
    assert report.created == 0 and report.skipped == {"opted out": 1}
    await drain(rt)
    assert len(emulator.calls_to("chat.postMessage")) == 1


async def test_permanent_slack_errors_mark_the_invitation_failed(
    rt: Runtime, emulator: SlackEmulator
) -> None:
    emulator.add_user("U1", email="ana@acme.test", dm_error="cannot_dm_bot")
    emulator.add_user("U2", email="ben@acme.test", deleted=False)
    await add_people(rt.db, Person("ana@acme.test"), Person("ben@acme.test"))
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    await drain(rt)
    failed, sent = await _invitations(rt)
    assert (failed.status, failed.error) == (S.FAILED, "cannot_dm_bot")
    assert sent.status == S.SENT


async def test_rate_limits_and_server_errors_are_retried(
    rt: Runtime, emulator: SlackEmulator, clock: FakeClock
) -> None:
    emulator.add_user("U1", email="ana@acme.test")
    await add_people(rt.db, Person("ana@acme.test"))
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    emulator.fail("chat.postMessage", status=429, retry_after=1)
    emulator.fail("chat.postMessage", status=503)
    # The 429 is retried in the call after Retry-After; after the 503 the DM is looked up by
    # its metadata (not there), `LOST_ANSWER_RECHECK` later, then posted, all in one pass.
    await drain(rt)
    [looked] = emulator.calls_to("conversations.history")
    calls = emulator.calls_to("chat.postMessage")
    assert [c.status for c in calls] == [429, 503, 200]
    order = [id(c) for c in emulator.calls]  # in the order Slack answered them
    assert order.index(id(calls[1])) < order.index(id(looked)) < order.index(id(calls[2]))
    [invitation] = await _invitations(rt)
    assert invitation.status == S.SENT
    assert len(emulator.messages("U1")) == 1


@pytest.mark.parametrize("status", [503, 500])
async def test_lost_answers_never_send_a_second_dm(
    rt: Runtime, emulator: SlackEmulator, clock: FakeClock, status: int
) -> None:
    people = [Person(f"p{i}@acme.test") for i in range(30)]
    for i, person in enumerate(people):
        emulator.add_user(f"U{i}", email=person.email)
    await add_people(rt.db, *people)
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    emulator.lose_answers("chat.postMessage", probability=0.2, status=status, seed=7)
    for _ in range(12):  # a day of passes: backoffs and leases run out in between
        await drain(rt)
        clock.advance(timedelta(minutes=10))
    emulator.lose_answers("chat.postMessage", probability=0)
    await drain(rt)
    lost = [c for c in emulator.calls_to("chat.postMessage") if c.status == status]
    assert lost, "the emulator lost no answer: the test proves nothing"
    assert [len(emulator.messages(f"U{i}")) for i in range(30)] == [1] * 30
    rows = await _invitations(rt)
    assert {row.status for row in rows} == {S.SENT}
    assert all(row.message_ts for row in rows)


async def test_a_dropped_connection_is_not_retried_in_the_call(
    rt: Runtime, emulator: SlackEmulator, clock: FakeClock
) -> None:
    emulator.add_user("U1", email="ana@acme.test")
    await add_people(rt.db, Person("ana@acme.test"))
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    emulator.lose_answers("chat.postMessage", probability=1.0)
    await drain(rt)
    assert len(emulator.calls_to("chat.postMessage")) == 1  # no blind re-post in the call
    emulator.lose_answers("chat.postMessage", probability=0)
    clock.advance(timedelta(minutes=10))
    await drain(rt)
    [row] = await _invitations(rt)
    assert row.status == S.SENT and len(emulator.messages("U1")) == 1
    assert len(emulator.calls_to("chat.postMessage")) == 1  # found by its metadata


async def test_lasting_outage_puts_the_invitation_back_for_later(
    rt: Runtime, emulator: SlackEmulator, clock: FakeClock
) -> None:
    emulator.add_user("U1", email="ana@acme.test")
    await add_people(rt.db, Person("ana@acme.test"))
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    emulator.fail("chat.postMessage", status=503, times=20)
    await run_due(rt)
    [waiting] = await _invitations(rt)
    assert waiting.status == S.SCHEDULED and waiting.error == "service_unavailable"
    assert waiting.due_at > rt.now()  # backs off instead of hammering Slack
    emulator.fail("chat.postMessage", status=503, times=0)
    clock.advance(timedelta(minutes=5))
    await drain(rt)
    [sent] = await _invitations(rt)
    assert sent.status == S.SENT and len(emulator.messages("U1")) == 1


async def test_relationship_surveys_wait_for_the_local_window(
    rt: Runtime, emulator: SlackEmulator, clock: FakeClock
) -> None:
    clock.current = clock.current.replace(hour=14)  # Tue 22:00 in Kuala Lumpur
    emulator.add_user("U1", email="ana@acme.test", tz="Asia/Kuala_Lumpur")
    await add_people(rt.db, Person("ana@acme.test"))
    report = await start_relationship_campaign(rt, kind="nps", now=rt.now())
    assert report.created == 1
    await drain(rt)
    assert emulator.calls_to("chat.postMessage") == []
    clock.advance(timedelta(hours=11))  # Wed 09:00 KL
    await drain(rt)
    assert len(emulator.calls_to("chat.postMessage", ok=True)) == 1


async def test_fatigue_and_missing_slack_users_are_skipped_with_reasons(
    rt: Runtime, emulator: SlackEmulator, clock: FakeClock
) -> None:
    emulator.add_user("U1", email="ana@acme.test")
    await add_people(rt.db, Person("ana@acme.test"), Person("ghost@acme.test"))
    first = await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    assert first.created == 1 and first.skipped == {"no Slack user": 1}
    clock.advance(timedelta(days=89))
    second = await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    assert second.skipped["fatigue"] == 1
    clock.advance(timedelta(days=2))
    third = await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    assert third.created == 1
    skipped = [i for i in await _invitations(rt) if i.status == S.SKIPPED]
    assert {i.skip_reason for i in skipped} == {"no Slack user", "fatigue"}


@pytest.mark.parametrize("found_in_slack", [True, False])
async def test_a_send_cut_off_after_claiming_is_reconciled_not_repeated(
    rt: Runtime, emulator: SlackEmulator, clock: FakeClock, found_in_slack: bool
) -> None:
    emulator.add_user("U1", email="ana@acme.test")
    await add_people(rt.db, Person("ana@acme.test"))
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    if found_in_slack:
        stored = emulator.hang_after_store("chat.postMessage")
        task = asyncio.create_task(run_due(rt))
        await asyncio.wait_for(stored.wait(), 5)
        task.cancel()  # the process dies here: Slack has the DM, the database says `sending`
        with pytest.raises(asyncio.CancelledError):
            await task
    else:
        from storage import invitations

        async with rt.db.transaction() as session:  # died before the request left
            await invitations.claim_due(
                session=session, now=rt.now(), lease=timedelta(minutes=5), limit=10
            )
    [stuck] = await _invitations(rt)
    assert stuck.status == S.SENDING

    await drain(rt)  # lease still held: nobody touches it
    assert (await _invitations(rt))[0].status == S.SENDING
    clock.advance(timedelta(minutes=6))
    await drain(rt)

    [settled] = await _invitations(rt)
    assert settled.status == S.SENT
    assert len(emulator.messages("U1")) == 1
    assert settled.message_ts == emulator.messages("U1")[0]["ts"]
    assert len(emulator.calls_to("conversations.history")) == 1


async def test_send_filters_by_segment_account_and_email(
    rt: Runtime, emulator: SlackEmulator
) -> None:
    for user, email in (
        ("U1", "ana@acme.test"),
        ("U2", "ben@globex.test"),
        ("U3", "cy@initech.test"),
    ):
        emulator.add_user(user, email=email)
    await add_people(
        rt.db,
        Person("ana@acme.test", account="Acme", segment="enterprise"),
        Person("ben@globex.test", account="Globex", segment="smb"),
        Person("cy@initech.test", account="Initech", segment="smb"),
    )
    by_segment = await start_relationship_campaign(
        rt, kind="nps", now=rt.now(), segment="SMB", send_now=True
    )
    by_account = await start_relationship_campaign(
        rt, kind="csat", now=rt.now(), account="ACME", send_now=True
    )
    by_email = await start_relationship_campaign(
        rt, kind="ces", now=rt.now(), email="Cy@Initech.test", send_now=True
    )
    assert (by_segment.created, by_account.created, by_email.created) == (2, 1, 0)
    assert by_email.skipped == {"already scheduled": 1}  # Cy's NPS waits to go out
    kinds = {(i.contact_id, i.kind, i.status) for i in await _invitations(rt)}
    assert (1, "csat", S.SCHEDULED) in kinds and (2, "nps", S.SCHEDULED) in kinds


async def test_send_explains_unknown_accounts_and_segments(rt: Runtime) -> None:
    from bot.domain.errors import UserError

    await add_people(rt.db, Person("ana@acme.test", account="Acme"))
    with pytest.raises(
        UserError, match='No contacts in an account named "Initech". Accounts: Acme'
    ):
        await start_relationship_campaign(rt, kind="nps", now=rt.now(), account="Initech")
    with pytest.raises(UserError, match="use enterprise, mid-market or smb"):
        await start_relationship_campaign(rt, kind="nps", now=rt.now(), segment="huge")
