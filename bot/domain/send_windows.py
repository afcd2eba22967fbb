"""Send windows in the recipient's own time zone: pure functions of `now`."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

RELATIONSHIP_DAYS = (1, 2, 3)  # Tuesday to Thursday
RELATIONSHIP_START = time(9, 0)
RELATIONSHIP_END = time(11, 0)
QUIET_START = time(21, 0)
QUIET_END = time(8, 0)
BUSY_BUSINESS_DAYS = 3  # the last business days of a month (or quarter) are left alone


def zone(name: str | None) -> ZoneInfo:
    """The contact's zone, or UTC when Slack gave none or an unknown one."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@lru_cache(maxsize=64)
def month_end_days(year: int, month: int) -> frozenset[date]:
    """The last `BUSY_BUSINESS_DAYS` weekdays (Mon–Fri) of a month: customers close their
    month (or quarter) then, and a survey is best left for later."""
    first_next = date(year + month // 12, month % 12 + 1, 1)
    found: list[date] = []
    day = first_next - timedelta(days=1)
    while len(found) < BUSY_BUSINESS_DAYS:
        if day.weekday() < 5:
            found.append(day)
        day -= timedelta(days=1)
    return frozenset(found)


def is_month_end(day: date) -> bool:
    return day in month_end_days(day.year, day.month)


def next_relationship_slot(now: datetime, tz: str | None) -> datetime:
    """The earliest time ≥ now that is Tue–Thu 09:00–11:00 in `tz`, in UTC, on a day that
    is not one of the month's (or quarter's) last three business days."""
    local = now.astimezone(zone(tz))
    for day in range(15):
        date = (local + timedelta(days=day)).date()
        if date.weekday() not in RELATIONSHIP_DAYS or is_month_end(date):
            continue
        start = datetime.combine(date, RELATIONSHIP_START, tzinfo=local.tzinfo)
        end = datetime.combine(date, RELATIONSHIP_END, tzinfo=local.tzinfo)
        if local < end:
            return max(local, start).astimezone(UTC)
    raise AssertionError("a Tuesday outside a month's end always comes within two weeks")


def in_quiet_hours(moment: datetime, tz: str | None) -> bool:
    local = moment.astimezone(zone(tz)).time()
    return local >= QUIET_START or local < QUIET_END


def next_transactional_slot(now: datetime, tz: str | None) -> datetime:
    """`now`, or 08:00 local when `now` falls in the 21:00–08:00 quiet hours, in UTC."""
    if not in_quiet_hours(now, tz):
        return now
    local = now.astimezone(zone(tz))
    date = local.date() if local.time() < QUIET_END else local.date() + timedelta(days=1)
    return datetime.combine(date, QUIET_END, tzinfo=local.tzinfo).astimezone(UTC)
