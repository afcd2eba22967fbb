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
