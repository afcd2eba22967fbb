"""What VoC bot writes on a CRM timeline: a detractor's (or low CSAT / CES) note, and the
case's outcome added to it when the case closes. The CRM is read by the account team in
English, like the terminal."""

from __future__ import annotations

from datetime import datetime

from bot.domain.scales import category, scale_for

OUTCOMES = {
    "recovered": "Recovered",
    "churn_risk": "Churn risk",
    "unreachable": "Unreachable",
}


def note_title(kind: str, score: int) -> str:
    """`VoC: NPS 3/10 (detractor)`."""
    return f"VoC: {kind.upper()} {score}/{scale_for(kind).high} ({category(kind, score)})"


def note_body(
    *,
    kind: str,
    score: int,
    comment: str | None,
    answered_at: datetime,
    permalink: str | None,
    outcome: str | None = None,
) -> str:
    """The note: the score and when, the comment as given, the #voc card's link; the outcome
    when the case had closed before the note was written."""
    lines = [
        f"{kind.upper()} score {score} of {scale_for(kind).high} ({category(kind, score)}), "
        f"answered {answered_at:%Y-%m-%d %H:%M} UTC.",
        f'Comment: "{comment}"' if comment else "No comment.",
        f"Follow-up card in Slack: {permalink}" if permalink else "Follow-up card in Slack.",
    ]
    if outcome:
        lines.append(outcome)
    return "\n".join(lines)


def outcome_line(outcome: str | None, note: str | None, closed_at: datetime | None) -> str:
    """`Outcome (2026-12-07): Recovered. Called them; fixed the export.`"""
    when = f" ({closed_at:%Y-%m-%d})" if closed_at else ""
    said = OUTCOMES.get(outcome or "", (outcome or "closed").replace("_", " ").capitalize())
    return f"Outcome{when}: {said}." + (f" {note}" if note else "")
