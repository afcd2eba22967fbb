"""The one rule for a valid follow-up log, used by the modal and by the service."""

from __future__ import annotations

from bot.domain.outcomes import (
    FOLLOW_UP_NOTE_MAX,
    FOLLOW_UP_OUTCOMES,
    FollowUpField,
    follow_up_errors,
)


def test_a_known_outcome_and_a_note_are_valid() -> None:
    for outcome in FOLLOW_UP_OUTCOMES:
        assert follow_up_errors(outcome, "Called back; fixed.") == {}


def test_an_unknown_outcome_and_a_blank_note_are_both_named() -> None:
    errors = follow_up_errors("fixed-ish", "  \n ")
    assert set(errors) == {FollowUpField.OUTCOME, FollowUpField.NOTE}
    assert "Recovered, In progress, Churn risk or Unreachable" in errors[FollowUpField.OUTCOME]
    assert "short note" in errors[FollowUpField.NOTE]


def test_the_note_is_capped() -> None:
    assert follow_up_errors("recovered", "x" * FOLLOW_UP_NOTE_MAX) == {}
    errors = follow_up_errors("recovered", "x" * (FOLLOW_UP_NOTE_MAX + 1))
    assert list(errors) == [FollowUpField.NOTE]
    assert str(FOLLOW_UP_NOTE_MAX) in errors[FollowUpField.NOTE]
