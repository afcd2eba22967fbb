"""Send windows in the recipient's own time zone: pure functions of `now`."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

RELATIONSHIP_DAYS = (1, 2, 3)  # Tuesday to Thursday
RELATIONSHIP_START = time(9, 0)
RELATIONSHIP_END = time(11, 0)
QUIET_START = time(21, 0)
QUIET_END = time(8, 0)


def zone(name: str | None) -> ZoneInfo:
    """The contact's zone, or UTC when Slack gave none or an unknown one."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def next_relationship_slot(now: datetime, tz: str | None) -> datetime:
    """The earliest time ≥ now that is Tue–Thu 09:00–11:00 in `tz`, in UTC."""
    local = now.astimezone(zone(tz))
    for day in range(8):
        date = (local + timedelta(days=day)).date()
        if date.weekday() not in RELATIONSHIP_DAYS:
            continue
        start = datetime.combine(date, RELATIONSHIP_START, tzinfo=local.tzinfo)
        end = datetime.combine(date, RELATIONSHIP_END, tzinfo=local.tzinfo)
        if local < end:
            return max(local, start).astimezone(UTC)
    raise AssertionError("a Tuesday always comes within a week")


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
