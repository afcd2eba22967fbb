"""The autopilot end to end: the scheduler's passes DM each contact in their window, once a
period; pause, resume and stop; and the `autopilot` commands of `python -m bot`."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from blocks.admin import autopilot_changed, autopilot_line, send_summary
from bot.core.runtime import Runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.domain.admin_commands import (
    AutopilotChange,
    AutopilotOn,
    Words,
    parse_autopilot,
)
from bot.domain.errors import UserError
from bot.scheduler import drain
from bot.services import autopilot
from bot.services.surveys import start_relationship_campaign
from storage.models import Invitation
from tests.e2e.test_voc import ask, shown
from tests.harness import SlackSender, cli_env, vocbot
from tests.seed import Person, add_people

pytestmark = pytest.mark.postgres
PEOPLE = [("U1", "ana@acme.test", "Asia/Kuala_Lumpur"), ("U2", "ben@acme.test", "Europe/London")]


def _on(words: str) -> AutopilotOn:
    """`autopilot …` turning one on, as the command line reads it."""
    request = parse_autopilot(Words.from_argv(words.split()))
    assert isinstance(request, AutopilotOn)
    return request


def _change(words: str) -> AutopilotChange:
    request = parse_autopilot(Words.from_argv(words.split()))
    assert isinstance(request, AutopilotChange)
    return request


async def _people(rt: Runtime, emulator: SlackEmulator) -> None:
    for user, email, tz in PEOPLE:
        emulator.add_user(user, email=email, tz=tz)
    await add_people(rt.db, *(Person(email, user, tz=tz) for user, email, tz in PEOPLE))


async def _days(rt: Runtime, clock: FakeClock, days: int) -> None:
    """Let the scheduler run for `days` days: a pass every 6 hours and at each due time."""
    end = clock.current + timedelta(days=days)
    while clock.current < end:
        await drain(rt)
        async with rt.db.session() as session:
            due = await session.scalar(
                select(func.min(Invitation.due_at)).where(
                    Invitation.status == "scheduled", Invitation.due_at > clock.current
                )
            )
        step = clock.current + timedelta(hours=6)
        clock.current = min(step, due) if due is not None else step


def _dms(emulator: SlackEmulator) -> list[str]:
    """Who got a survey DM (reminders go to the DM channel, the digest to #voc)."""
    posts = emulator.calls_to("chat.postMessage", ok=True)
    return sorted(c.args["channel"] for c in posts if c.args["channel"].startswith("U"))


async def _invitations(rt: Runtime) -> list[Invitation]:
    async with rt.db.session() as session:
        return list((await session.execute(select(Invitation).order_by(Invitation.id))).scalars())


async def test_the_autopilot_dms_each_contact_once_a_period_in_their_window(
    rt: Runtime, emulator: SlackEmulator, clock: FakeClock
) -> None:
    await _people(rt, emulator)
    await autopilot.turn_on(rt, _on("nps --every 14d"))

    await _days(rt, clock, 28)

    assert _dms(emulator) == ["U1", "U1", "U2", "U2"]
    asked = [i for i in await _invitations(rt) if (i.context or {})["period"] < 2]
    assert len(asked) == 4  # (the third period's first turns are already planned)
    for invitation in asked:
        assert invitation.sent_at is not None  # (some are reminded or expired by now)
        tz = PEOPLE[invitation.contact_id - 1][2]
        due = invitation.due_at.astimezone(ZoneInfo(tz))
        assert due.weekday() in (1, 2, 3) and time(9) <= due.time() < time(11)
        assert invitation.sent_at == invitation.due_at
    [view] = await autopilot.list_autopilots(rt)
    assert sum(view.counts.values()) - view.counts["scheduled"] == 4
    assert not any("skipped" in k for k in view.counts)
    assert "NPS every 14 days for everyone: active" in autopilot_line(view)


async def test_a_manual_send_during_the_autopilot_is_fatigue_for_both(
    rt: Runtime, emulator: SlackEmulator, clock: FakeClock
) -> None:
    await _people(rt, emulator)
    report = await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    assert report.created == 2
    await autopilot.turn_on(rt, _on("nps --every 14d"))
    await _days(rt, clock, 14)

    skipped = [i for i in await _invitations(rt) if i.status == "skipped"]
    assert {i.skip_reason for i in skipped} == {"fatigue"}
    assert {i.contact_id for i in skipped} == {1, 2}
    assert _dms(emulator) == ["U1", "U2"]  # the manual ones only


async def test_pause_holds_back_what_is_scheduled_and_stop_ends_it(
    rt: Runtime, emulator: SlackEmulator, clock: FakeClock
) -> None:
    await _people(rt, emulator)
    view = await autopilot.turn_on(rt, _on("csat --every 14d --segment enterprise"))
    await autopilot.plan_due(rt, clock.current)
    scheduled = [i for i in await _invitations(rt) if i.status == "scheduled"]

    said = autopilot_changed(await autopilot.change(rt, AutopilotChange(view.id, "pause")))

    assert said.startswith(f"Autopilot #{view.id} is paused")
    assert all(i.skip_reason == "autopilot paused" for i in await _invitations(rt))
    assert len(scheduled) == 1  # Ben's slot is tomorrow; Ana's is next week
    assert "1 invitation not yet sent will not go" in said
    await _days(rt, clock, 3)
    assert _dms(emulator) == []
    await autopilot.change(rt, AutopilotChange(view.id, "resume"))
    await autopilot.change(rt, _change(f"stop #{view.id}"))
    with pytest.raises(UserError, match="is stopped; it cannot resume"):
        await autopilot.change(rt, AutopilotChange(view.id, "resume"))
    with pytest.raises(UserError, match="No autopilot #99"):
        await autopilot.change(rt, _change("pause 99"))


@pytest.mark.parametrize(
    ("every", "message"),
    [("often", '"often" is not a period'), ("3d", "Every 3 days is out of range")],
)
def test_a_bad_period_says_how_to_write_one(every: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        parse_autopilot(Words.from_argv(["nps", "--every", every]))


async def test_one_autopilot_per_kind_and_audience(rt: Runtime) -> None:
    first = await autopilot.turn_on(rt, _on("nps"))
    with pytest.raises(UserError, match=f"autopilot stop {first.id}"):
        await autopilot.turn_on(rt, _on("nps"))
    with pytest.raises(UserError, match="ces follows events"):
        _on("ces")
    await autopilot.turn_on(rt, _on("nps --segment smb"))  # another audience is fine


async def test_the_autopilot_commands(
    emulator: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    env = cli_env(api_url=emulator.api_url, database_url=database_url, home=tmp_path)

    code, out, err = await vocbot(env, "autopilot", "nps", "--every", "90d", cwd=tmp_path)
    assert (code, err) == (0, "")
    assert "Autopilot on: #1 NPS every 90 days for everyone" in out
    code, out, _ = await vocbot(env, "autopilot", "list", cwd=tmp_path)
    assert "#1 NPS every 90 days for everyone: active" in out
    code, out, _ = await vocbot(env, "autopilot", "pause", "1", cwd=tmp_path)
    assert (code, out.strip()) == (0, "Autopilot #1 is paused.")
    code, out, err = await vocbot(env, "autopilot", "csat", "--every", "1d", cwd=tmp_path)
    assert code == 1
    assert "error: Every 1 days is out of range" in err


async def test_admins_run_the_autopilot_from_slack(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    rt.settings.voc_admins = ["UADMIN"]

    async def said(text: str, user: str = "UADMIN") -> str:
        return shown(await ask(slack, emulator, text, user=user))

    assert "Only VoC admins can run the autopilot" in await said("autopilot nps", user="UCSM")
    assert "No autopilot yet" in await said("autopilot")
    assert "#1 NPS every 60 days for segment smb" in await said("autopilot nps 60d smb")
    assert "#2 CSAT every 90 days for everyone" in await said("autopilot csat")
    assert "active" in await said("autopilot list")
    assert "Autopilot #1 is paused." in await said("autopilot pause 1")
    assert "not a segment" in await said("autopilot nps huge")
    assert "Say which autopilot" in await said("autopilot stop")
    assert [view.status for view in await autopilot.list_autopilots(rt)] == ["paused", "active"]


async def test_send_names_who_it_skipped_and_says_already_scheduled(
    rt: Runtime, emulator: SlackEmulator
) -> None:
    await _people(rt, emulator)
    await autopilot.turn_on(rt, _on("nps --every 14d"))
    await autopilot.plan_due(rt, rt.now())  # Ben's turn is tomorrow: scheduled

    report = await start_relationship_campaign(rt, kind="nps", now=rt.now())

    assert report.created == 1
    assert "  already scheduled: 1 (ben@acme.test)" in send_summary(report)
