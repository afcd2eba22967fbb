"""Whether a contact may be surveyed now: gone from the CRM, opt-out and survey fatigue, as
pure rules.

Relationship surveys (NPS campaigns) and transactional ones (after an event) are counted
apart: one relationship survey per 90 days, one transactional survey per 7 days. The
surveys of one event are created together, so they count as one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.vocabulary import SkipReason

RELATIONSHIP_FATIGUE = timedelta(days=90)
TRANSACTIONAL_FATIGUE = timedelta(days=7)


def fatigue_window(*, relationship: bool) -> timedelta:
    """How long after one survey of a family the contact gets no other of that family."""
    return RELATIONSHIP_FATIGUE if relationship else TRANSACTIONAL_FATIGUE


def skip_reason(
    *,
    opted_out: bool,
    last_surveyed: datetime | None,
    relationship: bool,
    now: datetime,
    active: bool = True,
) -> SkipReason | None:
    """None when the contact may get a survey of this family now, else why not.

    Args:
        active: False once the CRM archived or deleted the contact: never surveyed again.
        last_surveyed: when the newest invitation of the family that counts for fatigue was
            created (`storage.invitations.last_surveyed_at`), or None.
    """
    if not active:
        return SkipReason.INACTIVE
    if opted_out:
        return SkipReason.OPTED_OUT
    if last_surveyed is not None and last_surveyed >= now - fatigue_window(
        relationship=relationship
    ):
        return SkipReason.FATIGUE
    return None
