"""Who may see and do what, end to end: read commands, theme edits, case ownership, replays."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from bot.core.runtime import Runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.scheduler import run_due
from storage.models import CaseLog, Contact, FollowUpCase, Insight, Response
from tests.e2e.test_followups import VOC, _card_action, _cases, _survey, _tap
from tests.e2e.test_voc import CSM, ask, rows, seed, shown
from tests.harness import SIGNING_SECRET, SlackSender, eventually
from tests.payloads import (
    block_action,
    block_suggestion,
    signed_headers,
    slash_command,
    view_submission,
)

pytestmark = pytest.mark.postgres
OUTSIDER = "UNOBODY"  # a member of our workspace who is not staff
GUEST = "UGUEST"  # a customer in a Slack Connect channel: another team
READS = ("account Acme", "nps Acme", "requests", "themes")
SECRETS = ("Ácme", "120,000", "Ana", "ana@acme.test", "SSO", "invoices are slow", "NPS of")


async def _seed_data(rt: Runtime, slack: SlackSender, emulator: SlackEmulator) -> None:
    await seed(rt.db)
    await ask(slack, emulator, "ana@acme.test: they want SSO #feature")
    await ask(slack, emulator, "Acme: invoices are slow #pricing")
    async with rt.db.transaction() as session:
        session.add(Contact(email="gus@customer.test", account_id=1, slack_user_id=GUEST,
                            name="Gus", locale="ms-MY", slack_team_id="TCUSTOMER"))  # fmt: skip


async def _ask_as(
    slack: SlackSender, emulator: SlackEmulator, text: str, *, user: str, team: str = "T0001"
) -> str:
    before = len(emulator.calls_to("response_url"))
    fields = slash_command(user=user, text=text, response_url=emulator.new_response_url())
    fields["team_id"] = team
    assert (await slack.command(fields))[0] == 200
    answers = await eventually(lambda: emulator.calls_to("response_url")[before:], timeout=10.0)
    return shown(answers[0])


async def test_only_staff_read_account_data(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    await _seed_data(rt, slack, emulator)
    for text in READS:
        staff = shown(await ask(slack, emulator, text, user=CSM))
        assert "only for" not in staff, text
        member = await _ask_as(slack, emulator, text, user=OUTSIDER)
        guest = await _ask_as(slack, emulator, text, user=GUEST, team="TCUSTOMER")
        for answer in (member, guest):
            for secret in SECRETS:
                assert secret not in answer, (text, secret)
        assert "only for the customer team" in member and "VOC_STAFF" in member
        assert "Maaf" in guest  # the guest's contact locale is Malay
    assert "Ácme" in shown(await ask(slack, emulator, "account Acme", user=CSM))
    assert "SSO" in shown(await ask(slack, emulator, "requests", user=CSM))


async def test_staff_by_setting_admins_and_csms_external_never(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    await _seed_data(rt, slack, emulator)
    rt.settings.voc_admins = ["UADMIN", GUEST]
    rt.settings.voc_staff = ["USTAFF", GUEST]
    for user in ("UADMIN", "USTAFF", "UCSM2"):  # UCSM2 is Globex's CSM in the contacts
        assert "Ácme" in await _ask_as(slack, emulator, "account Acme", user=user), user
    guest = await _ask_as(slack, emulator, "account Acme", user=GUEST, team="TCUSTOMER")
    assert "Ácme" not in guest and "Maaf" in guest


@pytest.mark.parametrize(
    ("text", "english", "malay"),
    [
        ("send nps", "start surveys", "memulakan tinjauan"),
        ("ship SSO", "mark features shipped", "menandakan ciri sebagai dilancarkan"),
        ("autopilot list", "run the autopilot", "menjalankan autopilot"),
        ("wording show", "change the question wording", "mengubah kata-kata soalan"),
        ("campaigns", "see and change campaigns", "melihat dan mengubah kampen"),
    ],
)
async def test_admin_commands_are_refused_through_roles_in_the_persons_language(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, text: str, english: str, malay: str
) -> None:
    await _seed_data(rt, slack, emulator)
    rt.settings.voc_admins = ["UADMIN", GUEST]  # a guest named an admin is still external
    async with rt.db.transaction() as session:  # a staff member who is also a Malay contact
        session.add(Contact(email="siti@corp.test", account_id=1, slack_user_id="USITI",
                            name="Siti", locale="ms-MY"))  # fmt: skip
    rt.settings.voc_staff = ["USITI"]
    member = await _ask_as(slack, emulator, text, user=OUTSIDER)
    assert f"Only VoC admins can {english}" in member and "VOC_ADMINS" in member
    assert f"Hanya pentadbir VoC boleh {malay}" in await _ask_as(
        slack, emulator, text, user="USITI"
    )
    guest = await _ask_as(slack, emulator, text, user=GUEST, team="TCUSTOMER")
    assert "Maaf" in guest and "VOC_ADMINS" not in guest
    assert "Only VoC admins" not in await _ask_as(slack, emulator, text, user="UADMIN")


async def test_members_log_feedback_guests_do_not(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    await _seed_data(rt, slack, emulator)
    before = len(await rows(rt.db, Insight))
    assert "Saved" in await _ask_as(slack, emulator, "Acme: loves the app #praise", user=OUTSIDER)
    guest = await _ask_as(slack, emulator, "Acme: leak me #praise", user=GUEST, team="TCUSTOMER")
    assert "Saved" not in guest
    assert len(await rows(rt.db, Insight)) == before + 1


async def test_non_staff_cannot_edit_themes(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    await seed(rt.db)
    answer = await ask(slack, emulator, "Acme: the API docs are thin #docs")
    [button] = [e for b in answer.args["blocks"] if b["type"] == "actions" for e in b["elements"]]
    click = block_action(
        user=OUTSIDER,
        action_id=button["action_id"],
        value=button["value"],
        channel="C0GENERAL",
        message_ts="1.0",
        response_url=emulator.new_response_url(),
    )
    before = len(emulator.calls_to("response_url"))
    await slack.interactive(click)
    [refusal] = await eventually(lambda: emulator.calls_to("response_url")[before:])
    assert "only for the customer team" in shown(refusal)
    assert "docs are thin" not in shown(refusal) and not emulator.calls_to("views.open")


def _follow_up(user: str, case_id: int, outcome: str, note: str) -> dict:
    return view_submission(
        user=user,
        callback_id="case.follow_up",
        private_metadata=str(case_id),
        values={
            "case.outcome": {
                "case.outcome": {"type": "static_select", "selected_option": {"value": outcome}}
            },
            "case.note": {"case.note": {"type": "plain_text_input", "value": note}},
        },
    )


async def _history(rt: Runtime) -> list[tuple[str, str, str]]:
    async with rt.db.session() as session:
        found = (await session.execute(select(CaseLog).order_by(CaseLog.id))).scalars()
        return [(log.user_id, log.outcome, log.note) for log in found]


async def test_only_the_owner_csm_or_an_admin_log_release_or_reopen(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, clock: FakeClock
) -> None:
    rt.settings.voc_admins = ["UADMIN"]
    inv = await _survey(rt, emulator)
    await _tap(slack, emulator, inv, 2)
    await eventually(lambda: emulator.messages(VOC))
    [case] = await _cases(rt.db)
    case_id = case.id or 0
    await slack.interactive(_card_action(emulator, "UA", "case.claim", case_id))
    await eventually(lambda: "<@UA>" in json.dumps(emulator.messages(VOC)[0]["blocks"]))

    # UB (staff, not the owner) can neither release, open the log form, nor log
    answers = len(emulator.calls_to("response_url"))
    await slack.interactive(_card_action(emulator, "UB", "case.release", case_id))
    await slack.interactive(_card_action(emulator, "UB", "case.log", case_id))
    refusals = await eventually(
        lambda: (
            emulator.calls_to("response_url")[answers:]
            if len(emulator.calls_to("response_url")) >= answers + 2
            else None
        )
    )
    assert all("<@UA>" in r.args["text"] for r in refusals)
    assert not emulator.calls_to("views.open")
    await slack.interactive(_follow_up("UB", case_id, "recovered", "not mine"))
    await eventually(lambda: [c for c in emulator.calls_to("chat.postMessage")
                              if c.args.get("channel") == "UB"])  # fmt: skip
    [case] = await _cases(rt.db)
    assert (case.claimed_by, case.outcome) == ("UA", None)

    # the owner logs twice; the second closes it; both are kept
    await slack.interactive(_follow_up("UA", case_id, "in_progress", "left a voicemail"))
    await eventually(lambda: _has_logs(rt, 1))
    clock.advance(timedelta(hours=1))
    await slack.interactive(_follow_up("UA", case_id, "recovered", "called, all good"))
    await eventually(lambda: _has_logs(rt, 2))

    # UB cannot reopen the closed case; the account's CSM and an admin can
    await slack.interactive(_follow_up("UB", case_id, "in_progress", "reopening"))
    await eventually(lambda: len([c for c in emulator.calls_to("chat.postMessage")
                                  if c.args.get("channel") == "UB"]) == 2)  # fmt: skip
    [case] = await _cases(rt.db)
    assert case.closed_at is not None and case.outcome == "recovered"
    await slack.interactive(_follow_up("UCSM", case_id, "in_progress", "they called back"))
    await eventually(lambda: _has_logs(rt, 3))
    await slack.interactive(_follow_up("UADMIN", case_id, "churn_risk", "escalated to VP"))
    await eventually(lambda: _has_logs(rt, 4))
    assert await _history(rt) == [
        ("UA", "in_progress", "left a voicemail"),
        ("UA", "recovered", "called, all good"),
        ("UCSM", "in_progress", "they called back"),
        ("UADMIN", "churn_risk", "escalated to VP"),
    ]
    [case] = await _cases(rt.db)
    assert (case.outcome, case.note, case.logged_by) == ("churn_risk", "escalated to VP", "UADMIN")
    card = await eventually(
        lambda: "4 follow-ups logged" in json.dumps(emulator.messages(VOC)[0]["blocks"])
    )
    assert card

    # the account's CSM may release the owner's claim
    async with rt.db.transaction() as session:
        found = await session.get(FollowUpCase, case_id)
        assert found is not None
        found.closed_at, found.outcome = None, "in_progress"
    await slack.interactive(_card_action(emulator, "UCSM", "case.release", case_id))
    await eventually(lambda: _claimed_by(rt, None))


async def _has_logs(rt: Runtime, count: int) -> bool:
    return len(await _history(rt)) >= count


async def _claimed_by(rt: Runtime, user: str | None) -> bool:
    [case] = await _cases(rt.db)
    return case.claimed_by == user


async def test_a_replayed_voc_request_stores_one_insight(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    await seed(rt.db)
    fields = slash_command(
        user=CSM, text="Acme: replay me #praise", response_url=emulator.new_response_url()
    )
    body = urlencode(fields)
    headers = signed_headers(SIGNING_SECRET, body)
    for _ in range(3):
        assert (await slack.post(body, headers))[0] == 200
    await eventually(lambda: emulator.calls_to("response_url"))
    await eventually(lambda: _insights(rt))
    fresh = slash_command(
        user=CSM, text="Acme: replay me #praise", response_url=emulator.new_response_url()
    )
    await slack.command(fresh)  # the same words typed again: a new request, stored
    await eventually(lambda: _insights(rt, 2))
    assert [i.text for i in await rows(rt.db, Insight)] == ["replay me", "replay me"]


async def _insights(rt: Runtime, count: int = 1) -> bool:
    return len(await rows(rt.db, Insight)) >= count


def _comment(invitation_id: int, text: str) -> dict:
    return view_submission(
        user="U1",
        callback_id="survey.comment",
        private_metadata=str(invitation_id),
        values={"survey.comment": {"survey.comment.input": {"type": "plain_text_input",
                                                            "value": text}}},
    )  # fmt: skip


async def _stored_comment(rt: Runtime) -> str | None:
    async with rt.db.session() as session:
        return (await session.execute(select(Response.comment))).scalars().first()


async def test_comments_are_capped_and_editable_until_the_survey_expires(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, clock: FakeClock
) -> None:
    inv = await _survey(rt, emulator)
    await _tap(slack, emulator, inv, 8)
    await eventually(lambda: emulator.calls_to("chat.update"))
    await slack.interactive(_comment(inv.id or 0, "x" * 3001))
    await slack.interactive(_comment(inv.id or 0, "first thoughts"))
    assert await eventually(lambda: _has_comment(rt, "first thoughts"))
    clock.advance(rt.settings.expire_after - timedelta(minutes=1))
    await slack.interactive(_comment(inv.id or 0, "second thoughts"))
    assert await eventually(lambda: _has_comment(rt, "second thoughts"))
    await eventually(
        lambda: "second thoughts" in json.dumps(emulator.calls_to("chat.update")[-1].args)
    )
    clock.advance(timedelta(minutes=2))
    updates = len(emulator.calls_to("chat.update"))
    await slack.interactive(_comment(inv.id or 0, "rewritten forever"))
    await slack.interactive(_comment(inv.id or 0, "y" * 3001))
    await asyncio.sleep(0.3)
    assert await _stored_comment(rt) == "second thoughts"
    assert len(emulator.calls_to("chat.update")) == updates


async def _has_comment(rt: Runtime, text: str) -> bool:
    return await _stored_comment(rt) == text


async def test_low_csat_goes_to_the_support_channel_and_its_managers(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, clock: FakeClock
) -> None:
    rt.settings.support_channel = "CSUPPORT"
    rt.settings.support_managers = ["USUP1", "USUP2"]
    inv = await _survey(rt, emulator, "csat")
    await _tap(slack, emulator, inv, 1)
    await eventually(lambda: emulator.messages("CSUPPORT"))
    assert emulator.messages(VOC) == []
    clock.advance(rt.settings.escalate_after + timedelta(minutes=1))
    await run_due(rt)
    [reply] = [c.args["text"] for c in emulator.calls_to("chat.postMessage", ok=True)
               if c.args.get("thread_ts")]  # fmt: skip
    assert "<@USUP1>" in reply and "<@USUP2>" in reply and "<@UCSM>" not in reply
    [case] = await _cases(rt.db)
    card = emulator.messages("CSUPPORT")[0]
    claim = block_action(
        user="USUP1",
        action_id="case.claim",
        value=str(case.id),
        channel="CSUPPORT",
        message_ts=card["ts"],
        response_url=emulator.new_response_url(),
        block_id="case.actions",
    )
    await slack.interactive(claim)  # a support manager is staff without VOC_STAFF
    await eventually(lambda: _claimed_by(rt, "USUP1"))
    await slack.interactive(_follow_up("UCSM", case.id or 0, "recovered", "not my review"))
    await slack.interactive(_follow_up("USUP2", case.id or 0, "recovered", "refund issued"))
    await eventually(lambda: _has_logs(rt, 1))
    await eventually(lambda: [c for c in emulator.calls_to("chat.postMessage")
                              if c.args.get("channel") == "UCSM"])  # fmt: skip
    assert await _history(rt) == [("USUP2", "recovered", "refund issued")]


async def test_a_slack_connect_guest_cannot_claim_or_see_account_names(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    rt.settings.voc_admins = [GUEST]  # even named as an admin by mistake: another team
    inv = await _survey(rt, emulator)
    await _tap(slack, emulator, inv, 2)
    await eventually(lambda: emulator.messages(VOC))
    [case] = await _cases(rt.db)
    claim = _card_action(emulator, GUEST, "case.claim", case.id or 0)
    claim["user"]["team_id"] = "TCUSTOMER"
    await slack.interactive(claim)
    [refusal] = await eventually(lambda: emulator.calls_to("response_url"))
    assert "only for the team" in refusal.args["text"]
    assert (await _cases(rt.db))[0].claimed_by is None
    typed = block_suggestion(user=GUEST, action_id="voc.account", block_id="voc.account",
                             value="Ac")  # fmt: skip
    typed["user"]["team_id"] = "TCUSTOMER"
    status, body = await slack.interactive(typed)
    assert status == 200 and "Acme" not in body
    typed["user"]["team_id"] = "T0001"
    typed["user"]["id"] = OUTSIDER
    assert "Acme" in (await slack.interactive(typed))[1]  # a member logging feedback does
