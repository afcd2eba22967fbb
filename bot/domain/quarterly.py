"""The quarterly rhythm as pure rules: each contact asked in one chosen week of every quarter.

`autopilot nps --quarterly [--week N]` asks everyone once per calendar quarter, in week N
(1 by default) of it. Week 1 starts on the quarter's first Monday (so 1 January's holiday
and a quarter that starts late in a week are left alone); its send days are that week's
Tuesday to Thursday that are not month-end days (bot/domain/cadence.py). Contacts keep a
stable place among those days and inside the 09:00–11:00 window of their own zone, the
same golden-ratio spread the rolling cadence uses.

A period is a quarter's absolute number (`year * 4 + quarter - 1`), so it never repeats.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.domain import cadence
from bot.domain.send_windows import RELATIONSHIP_DAYS, RELATIONSHIP_END, RELATIONSHIP_START, zone

MAX_WEEK = 10  # later weeks would reach the quarter's last, busiest days
QUARTER_DAYS = 91  # what `every_days` records for a quarterly autopilot


def period_of(day: date) -> int:
    return day.year * 4 + (day.month - 1) // 3


def quarter_start(period: int) -> date:
    return date(period // 4, period % 4 * 3 + 1, 1)


def send_days(period: int, week: int) -> tuple[date, ...]:
    """The Tue–Thu of week `week` of the quarter, without month-end days (a week whose
    Tue–Thu are all month-end days, when a month ends on its Thursday, gives way to the next)."""
    start = quarter_start(period)
    monday = start + timedelta(days=(7 - start.weekday()) % 7)
    for later in range(week - 1, week + 1):
        first = monday + timedelta(weeks=later)
        days = [first + timedelta(days=offset) for offset in range(7)]
        found = tuple(
            day for day in days if day.weekday() in RELATIONSHIP_DAYS and cadence.is_send_day(day)
        )
        if found:
            return found
    raise AssertionError("two weeks in a row always hold a send day")


def slot(period: int, week: int, contact_id: int, tz: str | None) -> datetime:
    """When the contact is asked in this quarter, in UTC: its day of the week, in its window."""
    days = send_days(period, week)
    day = days[int(cadence.place(contact_id) * len(days))]
    local = datetime.combine(day, RELATIONSHIP_START, tzinfo=zone(tz))
    return (local + timedelta(minutes=cadence.minute_of(contact_id))).astimezone(UTC)


def catch_up(period: int, week: int, now: datetime, tz: str | None) -> datetime | None:
    """The first window still ahead in the quarter's week; None when the week is over."""
    for day in send_days(period, week):
        start = datetime.combine(day, RELATIONSHIP_START, tzinfo=zone(tz))
        end = datetime.combine(day, RELATIONSHIP_END, tzinfo=zone(tz))
        if now < end:
            return max(now, start.astimezone(UTC)).astimezone(UTC)
    return None
