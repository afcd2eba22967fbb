"""Making user text safe and short enough for Slack."""

from __future__ import annotations


def escape(text: str) -> str:
    """Escape mrkdwn's three control characters so user text can never ping anyone."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def shorten(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def quote(text: str, limit: int = 500) -> str:
    """User text as an escaped mrkdwn block quote."""
    lines = escape(shorten(text.strip(), limit)).splitlines() or [""]
    return "\n".join(f"> {line}" for line in lines)
