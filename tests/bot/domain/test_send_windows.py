from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.send_windows import (
    in_quiet_hours,
    next_relationship_slot,
    next_transactional_slot,
)

KL = "Asia/Kuala_Lumpur"  # UTC+8, no DST
NY = "America/New_York"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_inside_the_window_is_now() -> None:
    now = utc(2026, 11, 24, 2, 30)  # Tue 10:30 in Kuala Lumpur
    assert next_relationship_slot(now, KL) == now


def test_monday_waits_for_tuesday_nine_local() -> None:
    now = utc(2026, 11, 23, 2, 0)  # Mon 10:00 in KL
    assert next_relationship_slot(now, KL) == utc(2026, 11, 24, 1, 0)  # Tue 09:00 KL


def test_after_eleven_on_thursday_waits_for_next_tuesday() -> None:
    now = utc(2026, 11, 26, 3, 0)  # Thu 11:00 KL: the window has just closed
    assert next_relationship_slot(now, KL) == utc(2026, 12, 1, 1, 0)


def test_zones_differ_for_the_same_instant() -> None:
    now = utc(2026, 11, 24, 14, 30)  # Tue 22:30 KL, Tue 09:30 New York
    assert next_relationship_slot(now, NY) == now
    assert next_relationship_slot(now, KL) == utc(2026, 11, 25, 1, 0)


def test_unknown_or_missing_zone_means_utc() -> None:
    now = utc(2026, 11, 24, 8, 0)
    assert next_relationship_slot(now, None) == utc(2026, 11, 24, 9, 0)
    assert next_relationship_slot(now, "Not/AZone") == utc(2026, 11, 24, 9, 0)


@pytest.mark.parametrize(
    ("hour", "quiet"), [(20, False), (21, True), (23, True), (3, True), (7, True), (8, False)]
)
def test_quiet_hours(hour: int, quiet: bool) -> None:
    assert in_quiet_hours(utc(2026, 11, 24, hour, 0), "UTC") is quiet


def test_transactional_waits_until_eight_local() -> None:
    assert next_transactional_slot(utc(2026, 11, 24, 22, 0), "UTC") == utc(2026, 11, 25, 8, 0)
    assert next_transactional_slot(utc(2026, 11, 24, 3, 0), "UTC") == utc(2026, 11, 24, 8, 0)
    assert next_transactional_slot(utc(2026, 11, 24, 12, 0), "UTC") == utc(2026, 11, 24, 12, 0)
