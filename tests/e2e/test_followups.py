"""The follow-up loop end to end: cards in #voc, claims, logged outcomes, escalations."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from bot.core.runtime import Runtime, build_runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.scheduler import drain, run_due
from bot.services.surveys import start_relationship_campaign
from storage.db import Database
from storage.models import Account, Advocacy, FollowUpCase, Invitation
from tests.harness import SlackSender, eventually, json_body
from tests.payloads import block_action, view_submission
from tests.seed import Person, add_people

pytestmark = pytest.mark.postgres
VOC = "CVOC"


async def _survey(rt: Runtime, emulator: SlackEmulator, kind: str = "nps") -> Invitation:
    """One contact at Acme (with account details and a CSM) with a delivered survey."""
    emulator.add_user("U1", email="ana@acme.test", name="Ana")
    await add_people(rt.db, Person("ana@acme.test"))
    async with rt.db.transaction() as session:
        await session.execute(
            update(Account).values(
                arr=120000,
                plan="Scale",
                health="yellow",
                csm_user_id="UCSM",
                customer_since=date(2024, 8, 1),
                segment="enterprise",
            )
        )
    await start_relationship_campaign(rt, kind=kind, now=rt.now(), send_now=True)
    await drain(rt)
    async with rt.db.session() as session:
        return (
            (await session.execute(select(Invitation).order_by(Invitation.id.desc())))
            .scalars()
            .first()
        )  # type: ignore[return-value]


async def _tap(slack: SlackSender, emulator: SlackEmulator, inv: Invitation, score: int) -> None:
    payload = block_action(
        user="U1",
        action_id=f"survey.rate.{score}",
        value=f"{inv.id}:{score}",
        channel=inv.dm_channel or "",
        message_ts=inv.message_ts or "",
        response_url=emulator.new_response_url(),
    )
    assert (await slack.interactive(payload))[0] == 200


def _card_action(emulator: SlackEmulator, user: str, action: str, case_id: int) -> dict:
    card = emulator.messages(VOC)[0]
    return block_action(
        user=user,
        action_id=action,
        value=str(case_id),
        channel=VOC,
        message_ts=card["ts"],
        response_url=emulator.new_response_url(),
        block_id="case.actions",
    )


async def _cases(db: Database) -> list[FollowUpCase]:
    async with db.session() as session:
        return list((await session.execute(select(FollowUpCase))).scalars())


def _card_json(emulator: SlackEmulator) -> str:
    return json.dumps(emulator.messages(VOC)[0]["blocks"])


async def test_a_detractor_gets_exactly_one_card_with_the_account_facts(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    inv = await _survey(rt, emulator)
    await asyncio.gather(*(_tap(slack, emulator, inv, s % 7) for s in range(20)))
    await eventually(lambda: emulator.messages(VOC))
    await asyncio.sleep(0.3)
    assert len(await _cases(rt.db)) == 1
    assert len(emulator.messages(VOC)) == 1
    card = _card_json(emulator)
    for fact in ("Acme", "enterprise", "$120,000", "Scale", "<@UCSM>", "ana@acme.test"):
        assert fact in card, fact
    assert "case.claim" in card and "case.log" in card


@pytest.mark.parametrize(
    ("kind", "score", "review"),
    [
        ("nps", 6, "csm"),
        ("nps", 7, None),
        ("csat", 2, "support"),
        ("csat", 3, None),
        ("ces", 3, "support"),
        ("ces", 4, None),
    ],
)
async def test_which_answers_open_a_case(
    rt: Runtime,
    emulator: SlackEmulator,
    slack: SlackSender,
    kind: str,
    score: int,
    review: str | None,
) -> None:
    inv = await _survey(rt, emulator, kind)
    await _tap(slack, emulator, inv, score)
    await eventually(lambda: emulator.calls_to("chat.update"))
    if review is None:
        await asyncio.sleep(0.2)
        assert await _cases(rt.db) == [] and emulator.messages(VOC) == []
        return
    await eventually(lambda: emulator.messages(VOC))
    [case] = await _cases(rt.db)
    assert case.review == review
    assert ("Support manager review" in _card_json(emulator)) is (review == "support")


async def test_previous_score_and_a_late_comment_show_on_the_card_escaped(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, clock: FakeClock
) -> None:
    first = await _survey(rt, emulator)
    await _tap(slack, emulator, first, 8)
    await eventually(lambda: emulator.calls_to("chat.update"))
    clock.advance(timedelta(days=91))
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    await drain(rt)
    async with rt.db.session() as session:
        second = (
            (await session.execute(select(Invitation).order_by(Invitation.id.desc())))
            .scalars()
            .first()
        )
    assert second is not None and second.id != first.id
    await _tap(slack, emulator, second, 3)
    await eventually(lambda: emulator.messages(VOC))
    assert "was 8" in _card_json(emulator)

    comment = "<!channel> billing is a mess & <@U999> never called"
    submit = view_submission(
        user="U1",
        callback_id="survey.comment",
        private_metadata=str(second.id),
        values={
            "survey.comment": {
                "survey.comment.input": {"type": "plain_text_input", "value": comment}
            }
        },
    )
    await slack.interactive(submit)
    await eventually(lambda: "billing is a mess" in _card_json(emulator))
    card = _card_json(emulator)
    assert "<!channel>" not in card and "<@U999>" not in card
    assert "&lt;!channel&gt; billing is a mess &amp; &lt;@U999&gt;" in card


async def test_claims_one_owner_refusal_and_release(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    inv = await _survey(rt, emulator)
    await _tap(slack, emulator, inv, 2)
    await eventually(lambda: emulator.messages(VOC))
    [case] = await _cases(rt.db)
    claims = [_card_action(emulator, user, "case.claim", case.id or 0) for user in ("UA", "UB")]
    await asyncio.gather(*(slack.interactive(c) for c in claims))
    [note] = await eventually(lambda: emulator.calls_to("response_url"))
    [case] = await _cases(rt.db)
    winner = case.claimed_by
    loser = "UB" if winner == "UA" else "UA"
    assert winner in ("UA", "UB")
    assert f"<@{winner}>" in note.args["text"] and "already" in note.args["text"]
    await eventually(
        lambda: f"<@{winner}>" in _card_json(emulator) and "case.release" in _card_json(emulator)
    )

    await slack.interactive(_card_action(emulator, loser, "case.release", case.id or 0))
    await eventually(lambda: len(emulator.calls_to("response_url")) == 2)
    assert (await _cases(rt.db))[0].claimed_by == winner
    await slack.interactive(_card_action(emulator, winner, "case.release", case.id or 0))
    await eventually(lambda: "case.claim" in _card_json(emulator))
    assert (await _cases(rt.db))[0].claimed_by is None


async def test_log_follow_up_validates_in_the_modal_and_stops_escalations(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, clock: FakeClock
) -> None:
    inv = await _survey(rt, emulator)
    await _tap(slack, emulator, inv, 4)
    await eventually(lambda: emulator.messages(VOC))
    [case] = await _cases(rt.db)
    log_click = _card_action(emulator, "UA", "case.log", case.id or 0)
    await slack.interactive(log_click)
    [opened] = await eventually(lambda: emulator.calls_to("views.open", ok=True))
    view = opened.args["view"]
    assert view["private_metadata"] == str(case.id)

    def submission(outcome: str | None, note: str) -> dict:
        selected = {"selected_option": {"value": outcome}} if outcome else {"selected_option": None}
        return view_submission(
            user="UA",
            callback_id=view["callback_id"],
            private_metadata=view["private_metadata"],
            values={
                "case.outcome": {"case.outcome": {"type": "static_select", **selected}},
                "case.note": {"case.note": {"type": "plain_text_input", "value": note}},
            },
        )

    status, body = await slack.interactive(submission(None, "   "))
    answer = json_body(body)
    assert status == 200 and answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"case.outcome", "case.note"}
    assert (await _cases(rt.db))[0].logged_at is None

    note = "Called Ana: <!here> the export bug is fixed & she is calmer"
    status, body = await slack.interactive(submission("in_progress", note))
    assert status == 200 and not body
    await eventually(lambda: "In progress" in _card_json(emulator))
    [case] = await _cases(rt.db)
    assert (case.outcome, case.note, case.logged_by, case.claimed_by) == (
        "in_progress",
        note,
        "UA",
        "UA",
    )
    card = _card_json(emulator)
    assert "<!here>" not in card and "&lt;!here&gt;" in card
    clock.advance(timedelta(days=5))
    await run_due(rt)
    assert emulator.messages(VOC)[1:] == [] and not [
        c for c in emulator.calls_to("chat.postMessage") if c.args.get("thread_ts")
    ]


async def test_escalations_survive_a_restart_and_stop_after_three(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, clock: FakeClock, database_url: str
) -> None:
    inv = await _survey(rt, emulator)
    await _tap(slack, emulator, inv, 0)
    await eventually(lambda: emulator.messages(VOC))

    restarted = build_runtime(rt.settings, db=Database(database_url), clock=clock)
    try:
        clock.advance(rt.settings.escalate_after - timedelta(minutes=1))
        await run_due(restarted)
        assert _thread_replies(emulator) == []
        clock.advance(timedelta(minutes=2))
        await asyncio.gather(run_due(restarted), run_due(rt))  # two schedulers, one reply
        replies = _thread_replies(emulator)
        assert len(replies) == 1 and "<@UCSM>" in replies[0]  # unclaimed: the account's CSM

        card = emulator.messages(VOC)[0]
        claim = block_action(
            user="UOWNER",
            action_id="case.claim",
            value=str((await _cases(rt.db))[0].id),
            channel=VOC,
            message_ts=card["ts"],
            response_url=emulator.new_response_url(),
            block_id="case.actions",
        )
        await slack.interactive(claim)
        await eventually(lambda: "<@UOWNER>" in _card_json(emulator))
        for _ in range(4):
            clock.advance(timedelta(hours=24))
            await run_due(restarted)
        replies = _thread_replies(emulator)
        assert len(replies) == 3
        assert "<@UOWNER>" in replies[1] and "<@UOWNER>" in replies[2]
    finally:
        await restarted.db.dispose()


def _thread_replies(emulator: SlackEmulator) -> list[str]:
    return [
        c.args["text"]
        for c in emulator.calls_to("chat.postMessage", ok=True)
        if c.args.get("thread_ts")
    ]


async def test_a_card_that_could_not_be_posted_is_posted_later(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, clock: FakeClock
) -> None:
    inv = await _survey(rt, emulator)
    emulator.fail("chat.postMessage", error="not_in_channel")
    await _tap(slack, emulator, inv, 1)
    await eventually(lambda: emulator.calls_to("chat.postMessage", ok=False))
    assert emulator.messages(VOC) == []
    clock.advance(timedelta(minutes=6))
    await run_due(rt)
    assert len(emulator.messages(VOC)) == 1
    await run_due(rt)
    assert len(emulator.messages(VOC)) == 1


async def test_a_card_whose_answer_was_lost_is_found_not_posted_again(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, clock: FakeClock
) -> None:
    inv = await _survey(rt, emulator)
    emulator.lose_answers("chat.postMessage", probability=1.0)
    await _tap(slack, emulator, inv, 1)
    await eventually(lambda: emulator.messages(VOC))
    emulator.lose_answers("chat.postMessage", probability=0)
    clock.advance(timedelta(minutes=6))
    await run_due(rt)
    await run_due(rt)
    assert len(emulator.messages(VOC)) == 1
    [case] = await _cases(rt.db)
    assert case.message_ts == emulator.messages(VOC)[0]["ts"]


async def test_promoters_are_offered_advocacy_and_a_yes_reaches_the_csm_once(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    rt.settings.review_url = "https://reviews.example.com/acme"
    inv = await _survey(rt, emulator)
    await _tap(slack, emulator, inv, 10)
    await eventually(lambda: emulator.calls_to("chat.update"))
    dm = json.dumps(emulator.messages(inv.dm_channel or "")[0]["blocks"])
    assert "advocacy.reference" in dm and "https://reviews.example.com/acme" in dm
    assert await _cases(rt.db) == []

    yes = block_action(
        user="U1",
        action_id="advocacy.reference",
        value=str(inv.id),
        channel=inv.dm_channel or "",
        message_ts=inv.message_ts or "",
        response_url=emulator.new_response_url(),
        block_id="survey.advocacy",
    )
    await slack.interactive(yes)
    await slack.interactive(yes)
    await eventually(lambda: len(emulator.calls_to("chat.update")) == 3)
    to_csm = [c for c in emulator.calls_to("chat.postMessage") if c.args["channel"] == "UCSM"]
    assert len(to_csm) == 1 and "reference" in to_csm[0].args["text"]
    async with rt.db.session() as session:
        offers = (await session.execute(select(func.count(Advocacy.id)))).scalar_one()
    assert offers == 1
