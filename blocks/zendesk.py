"""What VoC bot writes on a Zendesk ticket: one private note with the requester's CSAT, their
comment and the #voc case's link. Agents read it in English, like the CRM's notes."""

from __future__ import annotations

from datetime import datetime

from bot.domain.scales import scale_for
from bot.domain.zendesk import SyncSummary

MARKER = "VoC bot · answer {response_id}"  # looked up before a note is written again


def note_body(
    *,
    response_id: int,
    kind: str,
    score: int,
    comment: str | None,
    answered_at: datetime,
    permalink: str | None,
    has_case: bool,
) -> str:
    """The note: the score and when, the comment as given, the case's link when there is one."""
    lines = [
        f"Customer satisfaction: {score} of {scale_for(kind).high} "
        f"({kind.upper()}, answered {answered_at:%Y-%m-%d %H:%M} UTC).",
        f'Comment: "{comment}"' if comment else "No comment.",
    ]
    if has_case:
        lines.append(
            f"Follow-up case in Slack: {permalink}" if permalink else "Follow-up case in #voc."
        )
    lines.append(MARKER.format(response_id=response_id))
    return "\n".join(lines)


def sync_progress(summary: SyncSummary) -> str:
    return f"Zendesk: {summary.pages} pages, {summary.solved} solved tickets"


def sync_summary(summary: SyncSummary) -> str:
    """The one line `zendesk sync` ends with."""
    decided = ", ".join(f"{n} {what}" for what, n in sorted(summary.decided.items()))
    new = f"new: {decided}" if decided else "nothing new"
    return (
        f"Zendesk synced: {summary.pages} pages, {summary.solved} solved tickets "
        f"({new}; {summary.seen_before} seen before)"
    )
