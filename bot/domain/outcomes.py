"""What can come of a tap on a survey, and of a follow-up on a case."""

from __future__ import annotations

from enum import StrEnum


class TapOutcome(StrEnum):
    """What became of a tap, a comment or an opt-out on a survey message."""

    RECORDED = "recorded"
    NOT_YOURS = "not_yours"
    ANSWERED = "answered"
    CLOSED = "closed"
    UNKNOWN = "unknown"


# A follow-up's outcomes, as stored and as shown on the card.
FOLLOW_UP_OUTCOMES: dict[str, str] = {
    "recovered": "Recovered",
    "in_progress": "In progress",
    "churn_risk": "Churn risk",
    "unreachable": "Unreachable",
}
# The longest follow-up note taken; the modal's input stops there too (blocks/cases.py).
FOLLOW_UP_NOTE_MAX = 3000


class FollowUpField(StrEnum):
    """The parts of a follow-up log a problem can be about."""

    OUTCOME = "outcome"
    NOTE = "note"


def follow_up_errors(outcome: str, note: str) -> dict[FollowUpField, str]:
    """What is wrong with a follow-up log, by field; empty when it can be recorded.

    The outcome must be one of FOLLOW_UP_OUTCOMES; the note is required and at most
    FOLLOW_UP_NOTE_MAX characters.
    """
    errors: dict[FollowUpField, str] = {}
    if outcome not in FOLLOW_UP_OUTCOMES:
        *first, last = FOLLOW_UP_OUTCOMES.values()
        errors[FollowUpField.OUTCOME] = (
            f"Choose what came of the follow-up: {', '.join(first)} or {last}."
        )
    if not note.strip():
        errors[FollowUpField.NOTE] = "Write a short note: what happened, and what's next."
    elif len(note) > FOLLOW_UP_NOTE_MAX:
        errors[FollowUpField.NOTE] = (
            f"Keep the note to {FOLLOW_UP_NOTE_MAX} characters; it has {len(note)}."
        )
    return errors
