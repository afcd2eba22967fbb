"""The milestone rules: which kind each day asks, its due time, its key, and what is dropped."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain import milestones as rules
from bot.domain.exit_survey import (
    ExitReason,
    clean_comment,
    parse_reasons,
    themes_for,
)
from bot.domain.vocabulary import Theme

DAYS = (30, 60, 90)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "kind"), [(7, "csat"), (30, "csat"), (89, "csat"), (90, "nps"), (180, "nps")]
)
def test_csat_while_settling_in_and_nps_from_day_90(day: int, kind: str) -> None:
    assert rules.kind_for_day(day) == kind


@pytest.mark.parametrize(
    ("anchor", "day", "tz", "due"),
    [
        (date(2026, 11, 24), 30, "UTC", utc(2026, 12, 24, 10)),  # a Thursday
        (date(2026, 11, 24), 60, "UTC", utc(2027, 1, 25, 10)),  # Saturday 23 → Monday 25
        (date(2026, 11, 24), 61, "UTC", utc(2027, 1, 25, 10)),  # Sunday 24 → Monday 25
        (date(2026, 11, 24), 90, "UTC", utc(2027, 2, 22, 10)),  # a Monday
        (date(2026, 11, 24), 30, "Asia/Kuala_Lumpur", utc(2026, 12, 24, 2)),  # 10:00 +08
        (date(2026, 11, 24), 30, "America/New_York", utc(2026, 12, 24, 15)),  # 10:00 -05
        (date(2026, 11, 24), 30, None, utc(2026, 12, 24, 10)),  # no zone known: UTC
    ],
)
def test_a_day_goes_out_at_ten_local_on_a_weekday(
    anchor: date, day: int, tz: str | None, due: datetime
) -> None:
    assert rules.day_time(anchor, day, tz) == due


def test_a_fresh_milestone_plans_every_day_with_its_kind_and_key() -> None:
    planned = rules.plan_days("activated", date(2026, 11, 24), DAYS, "UTC", utc(2026, 11, 24, 9))
    assert [(p.day, p.kind, p.due_at, p.key) for p in planned] == [
        (30, "csat", utc(2026, 12, 24, 10), "activated:30"),
        (60, "csat", utc(2027, 1, 25, 10), "activated:60"),
        (90, "nps", utc(2027, 2, 22, 10), "activated:90"),
    ]


def test_days_long_gone_are_dropped_and_a_day_just_missed_goes_now() -> None:
    now = utc(2027, 1, 26, 23)  # day 60 (Mon 25th 10:00) missed by 37 hours; 22:00 here → quiet
    planned = rules.plan_days("customer_since", date(2026, 11, 24), DAYS, "Europe/London", now)
    assert [p.day for p in planned] == [60, 90]
    assert planned[0].due_at == utc(2027, 1, 27, 8)  # the next moment outside quiet hours
    years_ago = rules.plan_days("customer_since", date(2020, 1, 1), DAYS, "UTC", now)
    assert years_ago == []


def test_the_key_makes_a_day_once_ever_and_a_renewal_or_churn_once_per_date() -> None:
    first = rules.ask_key("activated", day=30, anchor=date(2026, 11, 24))
    again = rules.ask_key("activated", day=30, anchor=date(2026, 12, 1))
    assert first == again == "activated:30"
    assert rules.ask_key("activated", day=60, anchor=date(2026, 11, 24)) != first
    assert rules.ask_key("onboarding_started", day=30, anchor=date(2026, 11, 24)) != first
    renewals = {
        rules.ask_key("renewal_signed", day=7, anchor=date(y, 11, 24)) for y in (2026, 2027)
    }
    assert len(renewals) == 2


def test_a_renewal_asks_its_ces_exactly_a_week_later_outside_quiet_hours() -> None:
    signed = utc(2026, 11, 24, 9, 0)
    ask = rules.plan_renewal(signed, "UTC", signed)
    assert (ask.kind, ask.due_at, ask.day) == ("ces", signed + timedelta(days=7), 7)
    late_evening = rules.plan_renewal(utc(2026, 11, 24, 22), "UTC", utc(2026, 11, 24, 22))
    assert late_evening.due_at == utc(2026, 12, 2, 8)  # 22:00 is quiet: 08:00 next morning
    reported_late = rules.plan_renewal(signed, "UTC", signed + timedelta(days=8))
    assert reported_late.due_at == signed + timedelta(days=8)


def test_an_exit_survey_is_due_at_once_and_keyed_by_the_churn_date() -> None:
    ask = rules.plan_exit("exit", utc(2026, 11, 24, 9), "UTC", utc(2026, 11, 24, 9, 30))
    assert (ask.due_at, ask.key) == (utc(2026, 11, 24, 9, 30), "churned:2026-11-24")


def test_an_ask_more_than_three_days_late_is_stale() -> None:
    due = utc(2026, 12, 24, 10)
    assert not rules.is_stale(due, due + timedelta(days=3))
    assert rules.is_stale(due, due + timedelta(days=3, seconds=1))


# the exit survey's reasons


def test_reasons_keep_the_survey_order_and_drop_unknown_values() -> None:
    assert parse_reasons(["support", "price", "bogus"]) == (ExitReason.PRICE, ExitReason.SUPPORT)
    assert parse_reasons([]) == ()


def test_each_reason_counts_under_its_theme() -> None:
    assert themes_for((ExitReason.PRICE, ExitReason.COMPETITOR)) == {
        Theme.PRICING,
        Theme.COMPETITOR,
    }
    assert themes_for((ExitReason.NO_LONGER_NEEDED, ExitReason.OTHER)) == set()
    assert themes_for(tuple(ExitReason)) == {
        Theme.PRICING,
        Theme.MISSING_FEATURE,
        Theme.USABILITY,
        Theme.PRODUCT_BUG,
        Theme.UNHELPFUL_SUPPORT,
        Theme.COMPETITOR,
    }


def test_a_blank_comment_is_none_and_a_long_one_is_cut() -> None:
    assert clean_comment("  \n ") is None
    assert clean_comment(None) is None
    assert clean_comment(" too pricey ") == "too pricey"
    assert len(clean_comment("x" * 5000) or "") == 3000
