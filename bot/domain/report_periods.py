"""The leadership reports' periods: a month (`2026-11`) or a quarter (`2026-Q4`), the period
before it, and when each is due (`REPORT_SCHEDULE`: the first working day after it, at a time).

Pure: dates in, dates out; the time zone is the caller's (DIGEST_TZ).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Literal

Cadence = Literal["monthly", "quarterly"]

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_SCHEDULE = re.compile(r"^first working day (\d{1,2}):(\d{2})$")
SCHEDULE_HINT = "use `first working day HH:MM`, e.g. `first working day 09:00`"


@dataclass(frozen=True)
class ReportPeriod:
    """A calendar month or quarter: its key (`2026-11`, `2026-Q4`) and its first and end day
    (the end is the day after its last)."""

    cadence: Cadence
    key: str
    start: date
    end: date

    def previous(self) -> ReportPeriod:
        return period_containing(self.cadence, self.start - timedelta(days=1))

    @property
    def title(self) -> str:
        if self.cadence == "monthly":
            return f"{self.start:%B %Y}"
        return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"


def _month_after(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, 1)


def period_containing(cadence: Cadence, day: date) -> ReportPeriod:
    if cadence == "monthly":
        start = date(day.year, day.month, 1)
        return ReportPeriod(cadence, f"{start:%Y-%m}", start, _month_after(start, 1))
    quarter = (day.month - 1) // 3
    start = date(day.year, quarter * 3 + 1, 1)
    return ReportPeriod(cadence, f"{day.year}-Q{quarter + 1}", start, _month_after(start, 3))


def parse_period(cadence: Cadence, text: str) -> ReportPeriod:
    """`2026-11` (monthly) or `2026-Q4` (quarterly); ValueError saying what to type."""
    pattern, example = (_MONTH, "2026-11") if cadence == "monthly" else (_QUARTER, "2026-Q4")
    found = pattern.match(text.strip())
    if not found:
        raise ValueError(f"{text!r} is not a {cadence[:-2]}; type it like {example}")
    year, number = int(found[1]), int(found[2])
    if cadence == "monthly":
        if not 1 <= number <= 12:
            raise ValueError(f"{text!r} is not a month; type it like {example}")
        return period_containing(cadence, date(year, number, 1))
    return period_containing(cadence, date(year, (number - 1) * 3 + 1, 1))


def parse_report_schedule(text: str) -> time:
    found = _SCHEDULE.match(" ".join(text.lower().split()))
    if not found or int(found[1]) > 23 or int(found[2]) > 59:
        raise ValueError(SCHEDULE_HINT)
    return time(int(found[1]), int(found[2]))


def last_closed(cadence: Cadence, today: date) -> ReportPeriod:
    """The most recent period that has ended by `today` (the one a report is due for)."""
    return period_containing(cadence, today).previous()
