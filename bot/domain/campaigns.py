"""Campaign ids and moved due times: pure rules behind `python -m bot campaigns`.

A campaign made by `send` is shown by its number (`3`); an autopilot's run by `A` and the
autopilot's number (`A1`). A new due time is read as each contact's own local time, then
kept inside the Tue–Thu 09:00–11:00 window (bot/domain/send_windows.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.domain.errors import UserError
from bot.domain.send_windows import next_relationship_slot, zone

_ID = re.compile(r"^(a|autopilot-?)?(\d{1,9})$", re.IGNORECASE)
AT_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d")


@dataclass(frozen=True)
class CampaignId:
    number: int
    autopilot: bool = False

    def __str__(self) -> str:
        return f"A{self.number}" if self.autopilot else str(self.number)


def audience_record(segment: str | None, account: str | None, email: str | None) -> str:
    """Whom a `send` asked, as the campaigns table records it and `campaigns` shows it: a
    label written once with the campaign (an email is never recorded)."""
    if email:
        return "one contact"
    if account:
        return f"account {account.strip()}"
    return f"segment {segment}" if segment else "everyone"


def parse_id(text: str) -> CampaignId:
    match = _ID.match(text.strip())
    if not match:
        raise UserError(
            f'"{text[:40]}" is not a campaign id: use the number `campaigns` shows, '
            "e.g. 3 (a send) or A1 (an autopilot)."
        )
    return CampaignId(int(match.group(2)), autopilot=bool(match.group(1)))


def parse_at(text: str) -> datetime:
    """`2026-12-08 09:30` (or a date alone: 09:00), a local time without a zone."""
    cleaned = text.strip()
    for form in AT_FORMATS:
        try:
            moment = datetime.strptime(cleaned, form)
        except ValueError:
            continue
        return moment.replace(hour=9) if form == "%Y-%m-%d" else moment
    raise UserError(f'"{text[:40]}" is not a time: write it like "2026-12-08 09:30".')


def moved_due(at: datetime, tz: str | None, now: datetime) -> datetime:
    """`at` in the contact's zone, or their next Tue–Thu 09–11 slot after it, in UTC."""
    local = at.replace(tzinfo=zone(tz))
    return next_relationship_slot(max(local.astimezone(UTC), now), tz)


def check_future(at: datetime, now: datetime) -> None:
    """Refuse a time already past in UTC (contacts for whom it has passed locally get their
    next slot, `moved_due`)."""
    if at.replace(tzinfo=UTC) <= now:
        raise UserError(f"{at:%Y-%m-%d %H:%M} has passed: give a time in the future.")
