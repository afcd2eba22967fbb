"""Follow-up questions in one message, end to end: signed HTTP in, the emulator for Slack.

A closed ticket is one DM: the CSAT, then the CES in place (chat.update of the same ts);
an NPS detractor chooses what disappointed them most before the comment, and the choice
tags their answer in the digest's themes (bot/domain/questions.py).
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from blocks.digest import digest_blocks, digest_text
from bot.core.runtime import Runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.domain.vocabulary import SET_BY_RESPONDENT, InvitationStatus
from bot.scheduler import drain, run_due
from bot.services.digest import build_digest
from bot.services.surveys import start_relationship_campaign
from storage.insights import theme_counts
from storage.models import Insight, Invitation, Response, ThemeTag
from tests.e2e import test_ingest
from tests.e2e.test_ingest import ANA, Hooks
from tests.e2e.test_reach import CUSTOMER_TEAM, SHARED
from tests.e2e.test_reach import _set_channel as set_channel
from tests.harness import SlackSender, eventually
from tests.payloads import block_action, select_action, view_submission
from tests.seed import Person, add_people

S = InvitationStatus
pytestmark = pytest.mark.postgres

CSAT_Q = "How satisfied were you with the support you received?"
CES_Q = "How easy was it to get your issue resolved?"
NOTE_ANSWERED = "You've already answered this survey. Thank you!"
hooks = test_ingest.hooks  # the fixture that posts events as another system would


async def _invitations(rt: Runtime) -> list[Invitation]:
    async with rt.db.session() as session:
        return list((await session.execute(select(Invitation).order_by(Invitation.id))).scalars())


async def _responses(rt: Runtime) -> list[Response]:
    async with rt.db.session() as session:
        return list((await session.execute(select(Response).order_by(Response.id))).scalars())


def _tap(emulator: SlackEmulator, invitation: Invitation, ts: str, score: int) -> dict:
    return block_action(
        user="U1",
        action_id=f"survey.rate.{score}",
        value=f"{invitation.id}:{score}",
        channel=invitation.dm_channel or "U1",
        message_ts=ts,
        response_url=emulator.new_response_url(),
    )


def _updates(emulator: SlackEmulator, channel: str) -> list:
    return [c for c in emulator.calls_to("chat.update", ok=True) if c.args["channel"] == channel]


def _notes(emulator: SlackEmulator) -> list[str]:
    return [c.args.get("text", "") for c in emulator.calls_to("response_url")]


def _dm(emulator: SlackEmulator, channel: str) -> str:
    [message] = emulator.messages(channel)
    return json.dumps(message["blocks"])


async def _ticket_closed(rt: Runtime, emulator: SlackEmulator, hooks: Hooks) -> list[Invitation]:
    """A closed ticket for Ana, delivered: the CSAT sent, the CES waiting."""
    emulator.add_user("U1", email=ANA, tz="UTC")
    await add_people(rt.db, Person(ANA, "U1", tz="UTC"))
    status, answer = await hooks.send(event="ticket_closed")
    assert status == 202 and [e["kind"] for e in answer["scheduled"]] == ["csat", "ces"]
    await run_due(rt)
    csat, ces = await _invitations(rt)
    assert (csat.status, ces.status) == (S.SENT, S.WAITING)
    assert ces.follows_invitation_id == csat.id
    return [csat, ces]


async def test_the_tickets_agent_and_issue_type_go_with_its_answers_into_the_digest(
    rt: Runtime, emulator: SlackEmulator, hooks: Hooks, slack: SlackSender
) -> None:
    emulator.add_user("U1", email=ANA, tz="UTC")
    await add_people(rt.db, Person(ANA, "U1", tz="UTC"))
    context = {"agent": "Ali <@U9>", "issue_type": 42}
    status, _ = await hooks.send(event="ticket_closed", context=context)
    assert status == 202
    await run_due(rt)
    csat, _ = await _invitations(rt)
    ts = csat.message_ts or ""
    assert (await slack.interactive(_tap(emulator, csat, ts, 2)))[0] == 200
    asked = await eventually(lambda: _sent_ces(rt))
    assert (await slack.interactive(_tap(emulator, asked, ts, 3)))[0] == 200
    await eventually(lambda: _answered(rt, 2))
    rows = await _responses(rt)
    assert [(r.kind, r.agent, r.issue_type) for r in rows] == [
        ("csat", "Ali <@U9>", "42"),
        ("ces", "Ali <@U9>", "42"),  # the same ticket's
    ]
    digest = await build_digest(rt, rt.now() + timedelta(days=1))
    assert "CSAT by agent (90 days)\n---" in digest_text(digest)
    assert "  42: 2.0 of 5 from 1 answers" in digest_text(digest)
    shown = json.dumps([b.to_dict() for b in digest_blocks(digest)])  # pings nobody in Slack
    assert "Ali &lt;@U9&gt;" in shown and "<@U9>" not in shown


async def _sent_ces(rt: Runtime) -> Invitation | None:
    ces = (await _invitations(rt))[1]
    return ces if ces.status == S.SENT else None


async def _answered(rt: Runtime, count: int) -> bool:
    return len(await _responses(rt)) == count


async def test_a_closed_ticket_is_one_dm_csat_then_ces_in_place_each_recorded_once(
    rt: Runtime, emulator: SlackEmulator, hooks: Hooks, slack: SlackSender, clock: FakeClock
) -> None:
    csat, ces = await _ticket_closed(rt, emulator, hooks)
    [post] = emulator.calls_to("chat.postMessage", ok=True)
    assert post.args["channel"] == "U1"
    dm, ts = csat.dm_channel or "", csat.message_ts or ""
    shown = _dm(emulator, dm)
    assert CSAT_Q in shown and CES_Q not in shown

    # the CSAT tap: recorded, and the same message now asks the CES
    assert (await slack.interactive(_tap(emulator, csat, ts, 4)))[0] == 200
    [first] = await eventually(lambda: emulator.calls_to("chat.update", ok=True))
    assert (first.args["channel"], first.args["ts"]) == (dm, ts)
    shown = _dm(emulator, dm)
    assert CSAT_Q in shown and "*4*" in shown and CES_Q in shown
    assert f'"{ces.id}:7"' in shown and f'"{csat.id}:4"' not in shown  # CES buttons, 1-7
    asked = (await _invitations(rt))[1]
    assert (asked.status, asked.dm_channel, asked.message_ts) == (S.SENT, dm, ts)

    # the CES tap: recorded, both answers shown, then the comment step as before
    assert (await slack.interactive(_tap(emulator, asked, ts, 6)))[0] == 200
    await eventually(lambda: len(emulator.calls_to("chat.update", ok=True)) == 2)
    updates = emulator.calls_to("chat.update", ok=True)
    assert {(c.args["channel"], c.args["ts"]) for c in updates} == {(dm, ts)}
    shown = _dm(emulator, dm)
    assert "*4*" in shown and "*6*" in shown and "survey.tell_why" in shown
    assert "survey.rate." not in shown
    assert [(r.invitation_id, r.kind, r.score) for r in await _responses(rt)] == [
        (csat.id, "csat", 4),
        (ces.id, "ces", 6),
    ]

    # a double tap on the CES, and a tap on the old CSAT buttons: nothing new is recorded
    for stale in (_tap(emulator, asked, ts, 2), _tap(emulator, csat, ts, 1)):
        assert (await slack.interactive(stale))[0] == 200
    await eventually(lambda: len(_notes(emulator)) == 2)
    assert _notes(emulator) == [NOTE_ANSWERED, NOTE_ANSWERED]
    assert len(await _responses(rt)) == 2
    assert {i.status for i in await _invitations(rt)} == {S.ANSWERED}

    # one DM all along, and no reminder for either question later
    clock.advance(rt.settings.reminder_after + timedelta(hours=1))
    await run_due(rt)
    assert len(emulator.calls_to("chat.postMessage")) == 1


async def test_the_comment_after_both_answers_is_kept_on_the_csat_and_shown_escaped(
    rt: Runtime, emulator: SlackEmulator, hooks: Hooks, slack: SlackSender
) -> None:
    csat, ces = await _ticket_closed(rt, emulator, hooks)
    ts, dm = csat.message_ts or "", csat.dm_channel or ""
    await slack.interactive(_tap(emulator, csat, ts, 2))
    await eventually(lambda: _updates(emulator, dm))
    ces = (await _invitations(rt))[1]
    await slack.interactive(_tap(emulator, ces, ts, 3))
    await eventually(lambda: len(_updates(emulator, dm)) == 2)
    why = block_action(
        user="U1",
        action_id="survey.tell_why",
        value=str(csat.id),
        channel=csat.dm_channel or "",
        message_ts=ts,
        response_url=emulator.new_response_url(),
        block_id="survey.actions",
    )
    await slack.interactive(why)
    [opened] = await eventually(lambda: emulator.calls_to("views.open", ok=True))
    comment = "took <3 days> & two agents"
    await slack.interactive(
        view_submission(
            user="U1",
            callback_id=opened.args["view"]["callback_id"],
            private_metadata=opened.args["view"]["private_metadata"],
            values={
                "survey.comment": {
                    "survey.comment.input": {"type": "plain_text_input", "value": comment}
                }
            },
        )
    )
    await eventually(lambda: len(_updates(emulator, dm)) == 3)
    shown = _dm(emulator, csat.dm_channel or "")
    assert "*2*" in shown and "*3*" in shown and CES_Q in shown
    assert "took &lt;3 days&gt; &amp; two agents" in shown and "survey.tell_why" not in shown
    by_kind = {r.kind: r.comment for r in await _responses(rt)}
    assert by_kind == {"csat": comment, "ces": None}


async def test_taps_arriving_together_record_the_csat_once_and_ask_the_ces_once(
    rt: Runtime, emulator: SlackEmulator, hooks: Hooks, slack: SlackSender
) -> None:
    csat, _ = await _ticket_closed(rt, emulator, hooks)
    ts = csat.message_ts or ""
    taps = [_tap(emulator, csat, ts, score) for score in (5, 5, 4, 3, 5, 1)]
    statuses = await asyncio.gather(*(slack.interactive(tap) for tap in taps))
    assert {status for status, _ in statuses} == {200}
    await eventually(lambda: len(_notes(emulator)) == 5)
    [response] = await _responses(rt)
    assert response.invitation_id == csat.id
    ces = (await _invitations(rt))[1]
    assert (ces.status, ces.message_ts) == (S.SENT, ts)
    await eventually(lambda: emulator.calls_to("chat.update", ok=True))
    assert CES_Q in _dm(emulator, csat.dm_channel or "")


async def test_a_ces_never_asked_when_the_csat_expires_unanswered(
    rt: Runtime, emulator: SlackEmulator, hooks: Hooks, clock: FakeClock
) -> None:
    csat, ces = await _ticket_closed(rt, emulator, hooks)
    clock.advance(rt.settings.reminder_after + timedelta(minutes=1))
    await run_due(rt)
    clock.advance(rt.settings.expire_after)
    await run_due(rt)
    stored = await _invitations(rt)
    assert [(i.status, i.skip_reason) for i in stored] == [
        (S.EXPIRED, None),
        (S.SKIPPED, "first question unanswered"),
    ]
    assert stored[1].sent_at is None  # never counted as sent in the response rate
    assert len(emulator.calls_to("chat.postMessage")) == 2  # the CSAT and its one reminder
    assert CES_Q not in _dm_text(emulator, csat.dm_channel or "")


def _dm_text(emulator: SlackEmulator, channel: str) -> str:
    return json.dumps([message.get("blocks") for message in emulator.messages(channel)])


async def _nps_survey(rt: Runtime, emulator: SlackEmulator) -> Invitation:
    emulator.add_user("U1", email=ANA, tz="UTC")
    await add_people(rt.db, Person(ANA, "U1", tz="UTC"))
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    await drain(rt)
    [invitation] = await _invitations(rt)
    return invitation


def _choose(emulator: SlackEmulator, invitation: Invitation, theme: str) -> dict:
    return select_action(
        user="U1",
        action_id="survey.theme",
        block_id="survey.theme",
        selected=f"{invitation.id}:{theme}",
        channel=invitation.dm_channel or "",
        message_ts=invitation.message_ts or "",
        response_url=emulator.new_response_url(),
    )


async def test_a_detractors_theme_choice_tags_the_answer_and_the_comment_follows(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    invitation = await _nps_survey(rt, emulator)
    dm = invitation.dm_channel or ""
    await slack.interactive(_tap(emulator, invitation, invitation.message_ts or "", 3))
    await eventually(lambda: emulator.calls_to("chat.update", ok=True))
    shown = _dm(emulator, dm)
    assert "What disappointed you most?" in shown and "survey.theme" in shown
    assert "Slow support" in shown and "survey.tell_why" in shown  # skipping it is fine

    await slack.interactive(_choose(emulator, invitation, "slow support"))
    await eventually(lambda: len(_updates(emulator, dm)) == 2)
    shown = _dm(emulator, dm)
    assert "What disappointed you most: *Slow support*" in shown
    assert '"static_select"' not in shown and "survey.tell_why" in shown
    [response] = await _responses(rt)
    assert response.chosen_theme == "slow support"
    async with rt.db.session() as session:
        [tag] = (await session.execute(select(ThemeTag))).scalars().all()
        [insight] = (await session.execute(select(Insight))).scalars().all()
        since, until = rt.now() - timedelta(days=90), rt.now() + timedelta(seconds=1)
        counted = await theme_counts(session=session, since=since, until=until)
        detractors = await theme_counts(
            session=session, since=since, until=until, category="detractor"
        )
    assert (tag.theme, tag.set_by, insight.response_id) == (
        "slow support",
        SET_BY_RESPONDENT,
        response.id,
    )
    assert [(c.theme, c.count) for c in counted] == [("slow support", 1)]
    assert [(c.theme, c.count) for c in detractors] == [("slow support", 1)]

    # a second choice (an old menu, a double tap) changes nothing
    await slack.interactive(_choose(emulator, invitation, "pricing"))
    await eventually(lambda: _notes(emulator))
    assert _notes(emulator) == [NOTE_ANSWERED]
    assert (await _responses(rt))[0].chosen_theme == "slow support"

    # the comment follows as before; its own themes join the chosen one, which stays
    why = view_submission(
        user="U1",
        callback_id="survey.comment",
        private_metadata=str(invitation.id),
        values={
            "survey.comment": {
                "survey.comment.input": {"type": "plain_text_input", "value": "the app crashes"}
            }
        },
    )
    await slack.interactive(why)
    await eventually(lambda: len(_updates(emulator, dm)) == 3)
    shown = _dm(emulator, dm)
    assert "What disappointed you most: *Slow support*" in shown and "the app crashes" in shown
    async with rt.db.session() as session:
        tags = (await session.execute(select(ThemeTag).order_by(ThemeTag.theme))).scalars()
        assert [(t.theme, t.set_by) for t in tags] == [
            ("product bug", None),
            ("slow support", SET_BY_RESPONDENT),
        ]


@pytest.mark.parametrize("score", [7, 9, 10])
async def test_a_passive_or_promoter_is_not_asked_what_disappointed_them(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, score: int
) -> None:
    invitation = await _nps_survey(rt, emulator)
    await slack.interactive(_tap(emulator, invitation, invitation.message_ts or "", score))
    await eventually(lambda: emulator.calls_to("chat.update", ok=True))
    shown = _dm(emulator, invitation.dm_channel or "")
    assert f"*{score}*" in shown
    assert "What disappointed you most?" not in shown and "survey.theme" not in shown
    await slack.interactive(_choose(emulator, invitation, "pricing"))  # a forged menu
    await eventually(lambda: _notes(emulator))
    assert (await _responses(rt))[0].chosen_theme is None


async def test_dont_ask_me_again_while_the_ces_is_open_closes_it_under_the_csat_answer(
    rt: Runtime, emulator: SlackEmulator, hooks: Hooks, slack: SlackSender
) -> None:
    csat, _ = await _ticket_closed(rt, emulator, hooks)
    ts, dm = csat.message_ts or "", csat.dm_channel or ""
    await slack.interactive(_tap(emulator, csat, ts, 5))
    await eventually(lambda: _updates(emulator, dm))
    ces = (await _invitations(rt))[1]
    opt_out = block_action(
        user="U1",
        action_id="survey.opt_out",
        value=str(ces.id),  # the button under the open question names it
        channel=dm,
        message_ts=ts,
        response_url=emulator.new_response_url(),
        block_id="survey.actions",
    )
    assert f'"value": "{ces.id}"' in _dm(emulator, dm)
    await slack.interactive(opt_out)
    await eventually(lambda: len(_updates(emulator, dm)) == 2)
    shown = _dm(emulator, dm)
    assert "*5*" in shown and CES_Q in shown and "won't send you any more" in shown
    assert "survey.rate." not in shown
    assert [i.status for i in await _invitations(rt)] == [S.ANSWERED, S.EXPIRED]
    assert len(await _responses(rt)) == 1


async def test_a_csat_answered_in_a_shared_channel_gets_its_ces_there_on_its_own(
    rt: Runtime, emulator: SlackEmulator, hooks: Hooks, slack: SlackSender
) -> None:
    emulator.add_user("U0MIA", email=ANA, team_id=CUSTOMER_TEAM, dm_error="restricted_action")
    emulator.add_channel(SHARED, ["U0MIA"])
    await add_people(rt.db, Person(ANA, account="Globex"))
    await set_channel(rt, "Globex", SHARED)
    assert (await hooks.send(event="ticket_closed"))[0] == 202
    await drain(rt)
    [post] = emulator.messages(SHARED)
    csat, ces = await _invitations(rt)
    assert (csat.channel, ces.status) == ("slack_channel", S.WAITING)

    tap = block_action(
        user="U0MIA",
        action_id="survey.shared.rate.4",
        value=f"{csat.id}:4",
        channel=SHARED,
        message_ts=post["ts"],
        response_url=emulator.new_response_url(),
        user_team=CUSTOMER_TEAM,
    )
    await slack.interactive(tap)
    await eventually(lambda: emulator.calls_to("chat.postEphemeral", ok=True))
    ces = (await _invitations(rt))[1]
    assert (ces.status, ces.channel, ces.dm_channel) == (S.SCHEDULED, "slack_channel", SHARED)
    await drain(rt)
    assert CES_Q in json.dumps([m["blocks"] for m in emulator.messages(SHARED)])
    assert len(emulator.messages(SHARED)) == 2
