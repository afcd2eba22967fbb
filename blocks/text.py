"""Making user text safe and short enough for Slack."""

from __future__ import annotations

from blocks.catalog import t
from bot.domain.records import CrmSynced


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


def synced_text(synced: CrmSynced, locale: str | None = None) -> str:
    """`Synced from HubSpot <date>`: when a CRM last synced an account, in the reader's
    time zone (a Slack date token, with a UTC fallback)."""
    fallback = synced.at.strftime("%Y-%m-%d %H:%M UTC")
    when = f"<!date^{int(synced.at.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"
    return t(locale, "account.synced", crm=escape(synced.crm), when=when)
