"""`send` and `campaigns reschedule` leave a month's last three business days alone (as the
autopilot does), and `campaigns reschedule ID --at now` makes what waits due at once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from blocks.admin import campaign_rescheduled
from bot.core.runtime import Runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.domain.admin_commands import CampaignReschedule, Words, parse_campaigns, parse_send
from bot.domain.send_windows import next_relationship_slot
from bot.scheduler import drain
from bot.services import campaigns, surveys
from storage.models import Invitation
from tests.seed import Person, add_people

pytestmark = pytest.mark.postgres
PEOPLE = [("U1", "ana@acme.test", "UTC"), ("U2", "ben@acme.test", "Asia/Kuala_Lumpur")]


async def _due(rt: Runtime) -> list[datetime]:
    async with rt.db.session() as session:
        rows = await session.execute(select(Invitation.due_at).order_by(Invitation.contact_id))
        return [due.astimezone(UTC) for due in rows.scalars()]


def test_the_next_window_skips_the_months_last_business_days() -> None:
    # November 2026 ends Thu 26, Fri 27, Mon 30: Wednesday's next window is Tue 1 December
    wednesday = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert next_relationship_slot(wednesday, "UTC") == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    # a quarter's end too: December 2026 ends Tue 29 – Thu 31; 1 January is a Friday
    assert next_relationship_slot(datetime(2026, 12, 28, 12, 0, tzinfo=UTC), None) == datetime(
        2027, 1, 5, 9, 0, tzinfo=UTC
    )


async def test_send_and_reschedule_avoid_month_end_and_now_means_now(
    rt: Runtime, emulator: SlackEmulator, clock: FakeClock
) -> None:
    for user, email, tz in PEOPLE:
        emulator.add_user(user, email=email, tz=tz)
    await add_people(rt.db, *(Person(email, user, tz=tz) for user, email, tz in PEOPLE))
    clock.current = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday, past the window

    await surveys.send(rt, parse_send(Words.from_argv(["nps"])), by="test", now=rt.now())
    due = await _due(rt)
    assert due[0] == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # not Thu 26 (month end)
    assert due[1] == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 in Kuala Lumpur

    later = _reschedule("1 --at 2026-12-29 09:30")
    done = await campaigns.reschedule(rt, later, by="test", now=rt.now())
    assert "2 of them outside the Tue–Thu 09:00–11:00 window" in campaign_rescheduled(done)
    assert await _due(rt) == [
        datetime(2027, 1, 5, 9, 0, tzinfo=UTC),
        datetime(2027, 1, 5, 1, 0, tzinfo=UTC),
    ]

    done = await campaigns.reschedule(rt, _reschedule("1 --at now"), by="test", now=rt.now())
    assert campaign_rescheduled(done) == "Campaign 1: 2 due now; they go out on the next pass."
    assert await _due(rt) == [clock.current, clock.current]
    await drain(rt)
    assert len(emulator.calls_to("chat.postMessage", ok=True)) == 2


def _reschedule(text: str) -> CampaignReschedule:
    request = parse_campaigns(Words.from_argv(["reschedule", *text.split(" ", 2)]))
    assert isinstance(request, CampaignReschedule)
    return request
