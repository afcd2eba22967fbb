"""The autopilot's rolling cadence as pure rules: periods, send days and each contact's slot.

An autopilot asks every contact once per period of `every_days`, counted from the day it
was turned on. Within a period a contact keeps a stable place: a fraction of the period
taken from its id by a golden-ratio (Weyl) sequence, so consecutive ids spread evenly
over the send days and a contact added later lands between the others. A send day is a
Tuesday to Thursday (`bot.domain.send_windows.RELATIONSHIP_DAYS`) that is not one of the
last three business days of its month (quarter ends are month ends), when customers are
busiest; the time is inside the 09:00–11:00 window of the contact's own zone.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from bot.domain.send_windows import (
    RELATIONSHIP_DAYS,
    RELATIONSHIP_END,
    RELATIONSHIP_START,
    month_end_days,
    zone,
)

DEFAULT_EVERY_DAYS = 90
MIN_EVERY_DAYS = 14  # shorter than two weeks leaves too few send days to spread over
MAX_EVERY_DAYS = 366
_GOLDEN = (math.sqrt(5) - 1) / 2
_SILVER = math.sqrt(2) - 1
_WINDOW_MINUTES = int(
    (
        datetime.combine(date.min, RELATIONSHIP_END)
        - datetime.combine(date.min, RELATIONSHIP_START)
    ).total_seconds()
    // 60
)


def parse_every(text: str) -> int | None:
    """Days in "90d", "90", "12w" or "3m" (a month is 30 days); None when it is not one."""
    match = re.fullmatch(r"\s*(\d{1,4})\s*([dwm]?)\s*", text.lower())
    if match is None:
        return None
    number, unit = int(match.group(1)), match.group(2) or "d"
    return number * {"d": 1, "w": 7, "m": 30}[unit]


def busy_days(year: int, month: int) -> frozenset[date]:
    """The last `BUSY_BUSINESS_DAYS` weekdays (Mon–Fri) of a month."""
    return month_end_days(year, month)


def is_send_day(day: date) -> bool:
    """Tue–Thu and not among the last three business days of its month."""
    return day.weekday() in RELATIONSHIP_DAYS and day not in busy_days(day.year, day.month)


def period_of(anchor: date, every_days: int, day: date) -> int:
    """Which period `day` falls in, counting from 0 on `anchor` (negative before it)."""
    return (day - anchor).days // every_days


def period_start(anchor: date, every_days: int, period: int) -> date:
    return anchor + timedelta(days=period * every_days)


@lru_cache(maxsize=256)
def send_days(anchor: date, every_days: int, period: int) -> tuple[date, ...]:
    """The send days of one period, in order."""
    start = period_start(anchor, every_days, period)
    days = (start + timedelta(days=offset) for offset in range(every_days))
    return tuple(day for day in days if is_send_day(day))


def place(contact_id: int) -> float:
    """The contact's stable fraction of a period, in [0, 1)."""
    return (contact_id * _GOLDEN) % 1.0


def minute_of(contact_id: int) -> int:
    """The contact's stable minute inside the 09:00–11:00 window."""
    return int(((contact_id * _SILVER) % 1.0) * _WINDOW_MINUTES)


def slot(anchor: date, every_days: int, period: int, contact_id: int, tz: str | None) -> datetime:
    """When the contact is asked in this period, in UTC: its send day, inside the window."""
    days = send_days(anchor, every_days, period)
    day = days[int(place(contact_id) * len(days))]
    minute = minute_of(contact_id)
    local = datetime.combine(day, RELATIONSHIP_START, tzinfo=zone(tz)) + timedelta(minutes=minute)
    return local.astimezone(UTC)


def catch_up(
    anchor: date, every_days: int, period: int, now: datetime, tz: str | None
) -> datetime | None:
    """The first window still ahead in the period, for a contact whose slot went by unasked
    (added after it, or the scheduler was down); None when the period has none left."""
    for day in send_days(anchor, every_days, period):
        start = datetime.combine(day, RELATIONSHIP_START, tzinfo=zone(tz))
        end = datetime.combine(day, RELATIONSHIP_END, tzinfo=zone(tz))
        if now < end:
            return max(now, start.astimezone(UTC)).astimezone(UTC)
    return None
