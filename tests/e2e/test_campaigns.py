"""Campaigns end to end: `python -m bot campaigns` lists sends and autopilot runs; cancel
and reschedule change what has not gone out, and the scheduler's later passes obey."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from blocks.admin import send_summary
from bot.core.runtime import Runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.domain.admin_commands import AutopilotOn
from bot.domain.vocabulary import InvitationStatus, SurveyKind
from bot.scheduler import drain
from bot.services import autopilot
from bot.services.surveys import start_relationship_campaign
from storage.models import Contact, Invitation
from tests.e2e.test_autopilot import _dms, _invitations
from tests.e2e.test_voc import ask, shown
from tests.harness import SlackSender, cli_env, vocbot
from tests.seed import Person, add_people

S = InvitationStatus
pytestmark = pytest.mark.postgres
PEOPLE = [
    ("U1", "ana@acme.test", None),
    ("U2", "ben@acme.test", None),
    ("U3", "cy@acme.test", None),
]
NEW_TIME = datetime(2030, 12, 10, 9, 30, tzinfo=UTC)  # a Tuesday, in the window (UTC)


async def _people(rt: Runtime, emulator: SlackEmulator) -> None:
    for user, email, _ in PEOPLE:
        emulator.add_user(user, email=email)
    await add_people(rt.db, *(Person(email, user) for user, email, _ in PEOPLE))


async def test_campaigns_lists_each_send_and_autopilot_run(
    rt: Runtime, emulator: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    env = cli_env(api_url=emulator.api_url, database_url=database_url, home=tmp_path)
    code, out, _ = await vocbot(env, "campaigns", cwd=tmp_path)
    assert (code, out.strip()) == (
        0,
        "No campaigns yet. Start one: python -m bot send nps (or python -m bot autopilot nps "
        "--every 90d).",
    )
    await _people(rt, emulator)
    async with rt.db.transaction() as session:  # Cy opted out: skipped, and counted by reason
        await session.execute(
            update(Contact).where(Contact.email == "cy@acme.test").values(opted_out=True)
        )
    report = await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    assert "Campaign 1: `python -m bot campaigns` shows it" in send_summary(report)
    await drain(rt)  # Ana and Ben are asked
    await autopilot.turn_on(rt, AutopilotOn(SurveyKind.CSAT, every_days=30))

    code, out, err = await vocbot(env, "campaigns", cwd=tmp_path)

    assert (code, err) == (0, "")
    first, second = out.strip().splitlines()
    assert first.startswith("1  NPS everyone, created 2026-11-24 09:30 UTC: 3 invitations")
    assert "3 invitations, none waiting, 2 sent, 0 answered, skipped 1 (opted out 1)" in first
    assert second.startswith("A1  CSAT autopilot every 30d, everyone (active)")


async def test_cancel_takes_back_what_has_not_gone_out_and_it_is_never_sent(
    rt: Runtime, emulator: SlackEmulator, clock: FakeClock, database_url: str, tmp_path: Path
) -> None:
    env = cli_env(api_url=emulator.api_url, database_url=database_url, home=tmp_path)
    await _people(rt, emulator)
    await start_relationship_campaign(
        rt, kind="nps", now=rt.now(), email="ana@acme.test", send_now=True
    )
    await drain(rt)  # campaign 1: Ana, sent
    clock.advance(timedelta(days=1))
    await start_relationship_campaign(rt, kind="csat", now=rt.now(), segment="enterprise")
    # campaign 2: Ben and Cy scheduled for their next window; Ana skipped (fatigue)
    async with rt.db.transaction() as session:  # Ben's DM is being sent right now
        await session.execute(
            update(Invitation)
            .where(Invitation.campaign_id == 2, Invitation.contact_id == 2)
            .values(status=S.SENDING, lease_until=clock.current + timedelta(minutes=5))
        )

    code, out, err = await vocbot(env, "campaigns", "cancel", "2", cwd=tmp_path)

    assert (code, err) == (0, "")
    assert out.strip() == "Campaign 2: cancelled 1; 1 had already gone out."
    for _ in range(10):  # a fortnight of scheduler passes: Cy is never asked
        clock.advance(timedelta(days=1, hours=3))
        await drain(rt)
    assert "U3" not in _dms(emulator)
    cy = [i for i in await _invitations(rt) if i.contact_id == 3]
    assert [(i.status, i.skip_reason) for i in cy] == [(S.SKIPPED, "cancelled")]

    code, out, err = await vocbot(env, "campaigns", "cancel", "2", cwd=tmp_path)
    assert code == 1 and "Campaign 2 has nothing left to cancel" in err


async def test_reschedule_moves_what_has_not_gone_out_to_the_new_time(
    rt: Runtime, emulator: SlackEmulator, clock: FakeClock, database_url: str, tmp_path: Path
) -> None:
    env = cli_env(api_url=emulator.api_url, database_url=database_url, home=tmp_path)
    await _people(rt, emulator)
    await start_relationship_campaign(rt, kind="nps", now=rt.now())  # due now (in the window)
    async with rt.db.transaction() as session:  # Ben lives in Los Angeles
        await session.execute(
            update(Contact).where(Contact.id == 2).values(tz="America/Los_Angeles")
        )

    code, out, err = await vocbot(
        env, "campaigns", "reschedule", "1", "--at", "2030-12-10 09:30", cwd=tmp_path
    )

    assert (code, err) == (0, "")
    assert out.strip() == "Campaign 1: rescheduled 3 to Tue 10 Dec 2030 09:30, their local time."
    clock.current = NEW_TIME - timedelta(minutes=1)
    await drain(rt)
    assert _dms(emulator) == []  # not before
    clock.current = NEW_TIME
    await drain(rt)
    assert _dms(emulator) == ["U1", "U3"]
    sent = {i.contact_id: i.sent_at for i in await _invitations(rt)}
    assert sent[1] == sent[3] == NEW_TIME
    clock.current = NEW_TIME + timedelta(hours=8)  # 09:30 in Los Angeles
    await drain(rt)
    assert _dms(emulator) == ["U1", "U2", "U3"]


async def test_a_bad_reschedule_and_an_unknown_campaign_say_what_to_do(
    rt: Runtime, emulator: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    env = cli_env(api_url=emulator.api_url, database_url=database_url, home=tmp_path)
    await _people(rt, emulator)
    await start_relationship_campaign(rt, kind="nps", now=rt.now())

    code, _, err = await vocbot(env, "campaigns", "cancel", "9", cwd=tmp_path)
    assert (code, err.strip()) == (1, "error: No campaign 9. `campaigns` lists them.")
    code, _, err = await vocbot(env, "campaigns", "cancel", "A4", cwd=tmp_path)
    assert (code, err.strip()) == (1, "error: No autopilot A4. `campaigns` lists them.")
    code, _, err = await vocbot(env, "campaigns", "cancel", "x1", cwd=tmp_path)
    assert code == 1 and "is not a campaign id" in err
    args = ("campaigns", "reschedule", "1", "--at")
    code, _, err = await vocbot(env, *args, "next tuesday", cwd=tmp_path)
    assert code == 1 and 'write it like "2026-12-08 09:30"' in err
    code, _, err = await vocbot(env, *args, "2020-01-07 09:30", cwd=tmp_path)
    assert code == 1 and "has passed: give a time in the future" in err
    code, _, err = await vocbot(
        env, "campaigns", "reschedule", "9", "--at", "2030-12-10 09:30", cwd=tmp_path
    )
    assert code == 1 and "No campaign 9" in err


async def test_admins_see_and_change_campaigns_from_slack(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    rt.settings.voc_admins = ["UADMIN"]
    await _people(rt, emulator)
    await start_relationship_campaign(rt, kind="nps", now=rt.now())

    async def said(text: str, user: str = "UADMIN") -> str:
        return shown(await ask(slack, emulator, text, user=user))

    assert "Only VoC admins can see and change campaigns" in await said("campaigns", user="UCSM")
    assert "1  NPS everyone" in await said("campaigns")
    assert "rescheduled 3 to Tue 10 Dec 2030 09:30" in await said(
        "campaigns reschedule 1 2030-12-10 09:30"
    )
    moved = await said("campaigns reschedule 1 2030-12-10 12:00")
    assert "3 of them outside the Tue–Thu 09:00–11:00 window there" in moved
    assert {i.due_at for i in await _invitations(rt)} == {datetime(2030, 12, 11, 9, tzinfo=UTC)}
    assert "cancelled 3; 0 had already gone out" in await said("campaigns cancel 1")
    assert "No campaign 7" in await said("campaigns cancel 7")


async def test_cancel_takes_back_an_autopilots_scheduled_turns(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, clock: FakeClock
) -> None:
    rt.settings.voc_admins = ["UADMIN"]
    await _people(rt, emulator)
    await autopilot.turn_on(rt, AutopilotOn(SurveyKind.CSAT, every_days=14))
    while not (planned := len(await _invitations(rt))):  # until the first turns are planned
        await autopilot.plan_due(rt, clock.current)
        clock.advance(timedelta(hours=6))

    async def said(text: str) -> str:
        return shown(await ask(slack, emulator, text, user="UADMIN"))

    taken_back = await said("campaigns cancel A1")
    assert {(i.status, i.skip_reason) for i in await _invitations(rt)} == {(S.SKIPPED, "cancelled")}
    assert f"Campaign A1: cancelled {planned}; 0 had already gone out." in taken_back
    assert "autopilot stop 1" in taken_back
    assert "An autopilot picks each contact's day itself" in await said(
        "campaigns reschedule A1 2030-12-10 09:30"
    )
