"""Report periods: months and quarters, the one before, and the first working day."""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.domain.report_periods import (
    last_closed,
    parse_period,
    parse_report_schedule,
)


def test_a_month_and_the_one_before() -> None:
    period = parse_period("monthly", "2026-01")
    assert (period.key, period.start, period.end) == ("2026-01", date(2026, 1, 1), date(2026, 2, 1))
    assert period.previous().key == "2025-12" and period.title == "January 2026"


def test_a_quarter_and_the_one_before() -> None:
    period = parse_period("quarterly", "2026-q1")
    assert (period.key, period.start, period.end) == ("2026-Q1", date(2026, 1, 1), date(2026, 4, 1))
    assert period.previous().key == "2025-Q4" and period.title == "Q1 2026"


@pytest.mark.parametrize(("cadence", "text"), [("monthly", "2026-13"), ("quarterly", "2026-Q5")])
def test_a_wrong_period_says_how_to_type_it(cadence, text) -> None:
    with pytest.raises(ValueError, match="type it like"):
        parse_period(cadence, text)


def test_the_last_closed_period() -> None:
    assert last_closed("monthly", date(2026, 12, 1)).key == "2026-11"
    assert last_closed("quarterly", date(2026, 12, 1)).key == "2026-Q3"


def test_the_schedule() -> None:
    assert parse_report_schedule("First working day  08:30") == time(8, 30)
    with pytest.raises(ValueError, match="first working day HH:MM"):
        parse_report_schedule("mon 09:00")
