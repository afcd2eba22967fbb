"""`autopilot nps --quarterly [--week N] [--sample P]` over a simulated year of scheduler
passes (the injected clock): each contact asked once a quarter, in the chosen week's
Tue–Thu windows of its own zone, spread over those days."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from blocks.admin import autopilot_line, campaign_line
from bot.core.runtime import Runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.domain.admin_commands import AutopilotOn, Words, parse_autopilot
from bot.domain.errors import UserError
from bot.scheduler import drain
from bot.services import autopilot, campaigns
from storage.models import Contact, Invitation
from tests.seed import Person, add_people

pytestmark = pytest.mark.postgres
ZONES = ["Asia/Kuala_Lumpur", "Europe/London", "America/New_York", "UTC", "Asia/Tokyo", None]
WEEK_1_2027 = {  # the Tue–Thu of the first full week of each quarter of 2027
    1: {date(2027, 1, 5), date(2027, 1, 6), date(2027, 1, 7)},
    2: {date(2027, 4, 6), date(2027, 4, 7), date(2027, 4, 8)},
    3: {date(2027, 7, 6), date(2027, 7, 7), date(2027, 7, 8)},
    4: {date(2027, 10, 5), date(2027, 10, 6), date(2027, 10, 7)},
}


def _on(words: str) -> AutopilotOn:
    request = parse_autopilot(Words.from_argv(words.split()))
    assert isinstance(request, AutopilotOn)
    return request


async def _year(rt: Runtime, clock: FakeClock, until: datetime) -> None:
    """The scheduler's passes until `until`: every day and at each due time."""
    while clock.current < until:
        await drain(rt)
        async with rt.db.session() as session:
            due = await session.scalar(
                select(func.min(Invitation.due_at)).where(
                    Invitation.status == "scheduled", Invitation.due_at > clock.current
                )
            )
        step = clock.current + timedelta(days=1)
        clock.current = min(step, due) if due is not None else step


async def _people(rt: Runtime, emulator: SlackEmulator, count: int) -> dict[int, str | None]:
    people = []
    for i in range(count):
        tz = ZONES[i % len(ZONES)]
        emulator.add_user(f"U{i}", email=f"p{i}@acme.test", tz=tz or "UTC")
        segment = "enterprise" if i % 2 else "smb"
        people.append(Person(f"p{i}@acme.test", f"U{i}", tz=tz, segment=segment))
    ids = await add_people(rt.db, *people)
    return dict(zip(ids, (p.tz for p in people), strict=True))


async def _sent(rt: Runtime) -> list[tuple[int, datetime, str | None]]:
    async with rt.db.session() as session:
        rows = await session.execute(
            select(Invitation.contact_id, Invitation.sent_at, Contact.tz)
            .join(Contact, Contact.id == Invitation.contact_id)
            .where(Invitation.sent_at.is_not(None))
        )
        return [(cid, sent.astimezone(UTC), tz) for cid, sent, tz in rows.all()]


async def test_a_quarterly_autopilot_asks_everyone_in_week_one_of_each_quarter(
    rt: Runtime, emulator: SlackEmulator, clock: FakeClock
) -> None:
    clock.current = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # Q4 2026's week 1 is over
    zones = await _people(rt, emulator, 12)
    view = await autopilot.turn_on(rt, _on("nps --quarterly"))
    assert "NPS every quarter (week 1) for everyone" in autopilot_line(view)
    [listed] = await campaigns.list_campaigns(rt)
    assert "autopilot every quarter (week 1), everyone" in campaign_line(listed)

    await _year(rt, clock, datetime(2027, 12, 31, tzinfo=UTC))

    sent = await _sent(rt)
    by_contact: dict[int, list[int]] = defaultdict(list)
    days_used: dict[int, set[date]] = defaultdict(set)
    for contact_id, when, tz in sent:
        local = when.astimezone(ZoneInfo(tz or "UTC"))
        quarter = (local.month - 1) // 3 + 1
        assert local.year == 2027 and local.date() in WEEK_1_2027[quarter], (contact_id, local)
        assert time(9, 0) <= local.time() < time(11, 0)
        by_contact[contact_id].append(quarter)
        days_used[quarter].add(local.date())
    assert {cid: sorted(q) for cid, q in by_contact.items()} == {cid: [1, 2, 3, 4] for cid in zones}
    assert all(len(days) >= 2 for days in days_used.values())  # spread, not one day


async def test_a_chosen_week_and_a_sample_of_each_quarter(
    rt: Runtime, emulator: SlackEmulator, clock: FakeClock
) -> None:
    clock.current = datetime(2026, 12, 28, 12, 0, tzinfo=UTC)
    await _people(rt, emulator, 20)
    view = await autopilot.turn_on(rt, _on("nps --quarterly --week 3 --sample 50%"))
    assert "every quarter (week 3) for everyone, a sample of 50%" in autopilot_line(view)

    await _year(rt, clock, datetime(2027, 2, 1, tzinfo=UTC))

    sent = await _sent(rt)
    assert len(sent) == 10  # half of 20, 5 of each segment
    assert {when.date() for _c, when, _tz in sent} <= {
        date(2027, 1, d)
        for d in (18, 19, 20, 21)  # week 3: from Mon 18 Jan (zones ±1 day)
    }


def test_quarterly_options_that_do_not_fit_are_refused() -> None:
    for words, said in (
        ("nps --week 2", "add --quarterly"),
        ("nps --quarterly --every 90d", "Choose one rhythm"),
        ("nps --quarterly --week 14", "1 to 10"),
    ):
        with pytest.raises(UserError, match=said):
            _on(words)
