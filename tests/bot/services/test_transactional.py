"""The transactional trigger rules as pure functions: which surveys, when, and how stale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.questions import plan
from bot.services.transactional import (
    EVENTS,
    SURVEYS_BY_EVENT,
    TOO_OLD,
    answer_body,
    due_at,
    invitation_context,
    is_too_old,
    scheduled_entry,
    surveys_for,
)

KL = "Asia/Kuala_Lumpur"  # UTC+8, no DST
NY = "America/New_York"
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)  # Tue 17:30 in KL, 04:30 in NY


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("event", "trigger", "kinds"),
    [
        ("ticket_closed", "support", ("csat", "ces")),
        ("onboarding_completed", "onboarding", ("csat", "nps")),
        ("training_attended", "training", ("csat",)),
        ("renewal_signed", "renewal", ("ces",)),
    ],
)
def test_each_event_maps_to_its_trigger_and_kinds(
    event: str, trigger: str, kinds: tuple[str, ...]
) -> None:
    surveys = surveys_for(event)
    assert (surveys.trigger, surveys.kinds) == (trigger, kinds)


def test_exactly_the_events_of_the_spec_are_known() -> None:
    assert set(EVENTS) == {
        "ticket_closed",
        "onboarding_completed",
        "training_attended",
        "renewal_signed",
        # issue 14's milestones: day-N surveys and the exit survey
        "onboarding_started",
        "activated",
        "customer_since",
        "churned",
    }
    with pytest.raises(KeyError):
        surveys_for("ticket_opened")


@pytest.mark.parametrize(
    ("event", "age", "expected"),
    [
        ("ticket_closed", timedelta(hours=24), False),
        ("ticket_closed", timedelta(hours=24, seconds=1), True),
        ("onboarding_completed", timedelta(hours=25), True),
        ("training_attended", timedelta(hours=23), False),
        ("training_attended", timedelta(hours=24, seconds=1), True),
        ("renewal_signed", timedelta(hours=25), False),
        ("renewal_signed", timedelta(days=7), False),
        ("renewal_signed", timedelta(days=7, seconds=1), True),
        ("ticket_closed", -timedelta(minutes=30), False),  # a sender's clock a little ahead
        ("churned", timedelta(days=7), False),
        ("churned", timedelta(days=7, seconds=1), True),
        ("activated", timedelta(days=3650), False),  # a milestone's date is never too old
    ],
)
def test_too_old_is_24_hours_or_7_days_for_a_renewal(
    event: str, age: timedelta, expected: bool
) -> None:
    assert is_too_old(event, NOW - age, NOW) is expected


def test_due_at_once_outside_quiet_hours() -> None:
    assert due_at(NOW - timedelta(hours=2), NOW, KL) == NOW  # 17:30 in KL


def test_due_at_eight_local_inside_quiet_hours() -> None:
    assert due_at(NOW, NOW, NY) == utc(2026, 11, 24, 13, 0)  # 04:30 → 08:00 EST
    late = utc(2026, 11, 24, 14, 0)  # 22:00 in KL
    assert due_at(late, late, KL) == utc(2026, 11, 25, 0, 0)  # next day 08:00 KL


def test_due_at_waits_for_an_event_stamped_after_now() -> None:
    ahead = NOW + timedelta(minutes=20)
    assert due_at(ahead, NOW, KL) == ahead
    assert due_at(utc(2026, 11, 24, 13, 30), NOW, KL) == utc(2026, 11, 25, 0, 0)  # 21:30 KL


def test_due_at_without_a_zone_uses_utc() -> None:
    assert due_at(utc(2026, 11, 24, 22, 0), utc(2026, 11, 24, 22, 0), None) == utc(
        2026, 11, 25, 8, 0
    )


def test_the_context_stored_names_the_event() -> None:
    assert invitation_context("ticket_closed", None) == {"event": "ticket_closed"}
    assert invitation_context("renewal_signed", {"plan": "Scale", "seats": 40}) == {
        "event": "renewal_signed",
        "plan": "Scale",
        "seats": 40,
    }


def test_the_answer_lists_scheduled_surveys_or_says_why_none() -> None:
    entry = scheduled_entry(7, "csat", utc(2026, 11, 25, 0, 0))
    assert entry == {"invitation_id": 7, "kind": "csat", "due_at": "2026-11-25T00:00:00+00:00"}
    assert answer_body([entry], None) == {"scheduled": [entry], "skipped": None}
    assert answer_body([], TOO_OLD) == {"scheduled": [], "skipped": "too old"}


def test_every_events_questions_keep_the_one_message_rules() -> None:
    """bot/domain/questions.py refuses a chain it would not ask; every event passes."""
    for event in SURVEYS_BY_EVENT.values():
        asked = plan(event.trigger, event.kinds)
        assert [q.kind for q in asked] == list(event.kinds)
    closed = plan(SURVEYS_BY_EVENT["ticket_closed"].trigger, ("csat", "ces"))
    assert [q.follows for q in closed] == [None, 0]
