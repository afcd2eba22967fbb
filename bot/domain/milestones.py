"""Day-N milestones: which survey each day after a milestone asks, and when it is due.

A milestone (`onboarding_started`, `activated`, an account's `customer_since`) plans one
survey per day of `MILESTONE_DAYS` (30, 60, 90 by default; bot/core/config.py): CSAT
before day 90 ("how is it going so far"), NPS from day 90 on, once the relationship formed.
Each goes out on its day at 10:00 in the contact's zone, a weekend day moving to the Monday.
A renewal asks its CES a week after it was signed; a churn asks its exit survey at once.
Pure functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bot.domain.send_windows import next_transactional_slot, zone
from bot.domain.vocabulary import SurveyKind

DAY_N_MILESTONES = ("onboarding_started", "activated", "customer_since")
RENEWAL = "renewal_signed"
CHURN = "churned"
NPS_FROM_DAY = 90
SEND_AT = time(10, 0)  # local time on the milestone day
LATE_GRACE = timedelta(days=3)  # a day missed by at most this long (e.g. an outage) still asks
RENEWAL_DELAY = timedelta(days=7)


@dataclass(frozen=True)
class PlannedAsk:
    """One survey a milestone owes a contact: on which day after it, what, when, and its key."""

    milestone: str
    day: int
    anchor: date
    kind: SurveyKind | str  # a scored kind, or EXIT_KIND for a churn's exit survey
    due_at: datetime
    key: str


def kind_for_day(day: int) -> SurveyKind:
    """CSAT while the customer is settling in, NPS once the relationship has formed."""
    return SurveyKind.NPS if day >= NPS_FROM_DAY else SurveyKind.CSAT


def day_time(anchor: date, day: int, tz: str | None) -> datetime:
    """`day` days after `anchor`, at 10:00 in `tz` (a Saturday or Sunday moves to Monday), UTC."""
    target = anchor + timedelta(days=day)
    while target.weekday() >= 5:
        target += timedelta(days=1)
    return datetime.combine(target, SEND_AT, tzinfo=zone(tz)).astimezone(UTC)


def ask_key(milestone: str, *, day: int, anchor: date) -> str:
    """The ask's key, unique per contact: once per day of a day-N milestone, ever; a renewal
    or a churn once per occurrence (its date)."""
    if milestone in DAY_N_MILESTONES:
        return f"{milestone}:{day}"
    return f"{milestone}:{anchor.isoformat()}"


def plan_days(
    milestone: str, anchor: date, days: tuple[int, ...], tz: str | None, now: datetime
) -> list[PlannedAsk]:
    """The asks a day-N milestone still owes: days whose time went by more than
    LATE_GRACE ago are dropped (an old customer_since asks nothing); a day just missed goes
    at the next moment outside the quiet hours."""
    planned = []
    for day in days:
        when = day_time(anchor, day, tz)
        if when < now - LATE_GRACE:
            continue
        planned.append(
            PlannedAsk(
                milestone=milestone,
                day=day,
                anchor=anchor,
                kind=kind_for_day(day),
                due_at=next_transactional_slot(max(when, now), tz),
                key=ask_key(milestone, day=day, anchor=anchor),
            )
        )
    return planned


def plan_renewal(occurred_at: datetime, tz: str | None, now: datetime) -> PlannedAsk:
    """The renewal's CES, a week after it was signed, outside the quiet hours."""
    anchor = occurred_at.astimezone(zone(tz)).date()
    return PlannedAsk(
        milestone=RENEWAL,
        day=RENEWAL_DELAY.days,
        anchor=anchor,
        kind=SurveyKind.CES,
        due_at=next_transactional_slot(max(occurred_at + RENEWAL_DELAY, now), tz),
        key=ask_key(RENEWAL, day=RENEWAL_DELAY.days, anchor=anchor),
    )


def plan_exit(kind: str, occurred_at: datetime, tz: str | None, now: datetime) -> PlannedAsk:
    """The churn's exit survey: at once, outside the quiet hours; once per churn date."""
    anchor = occurred_at.astimezone(zone(tz)).date()
    return PlannedAsk(
        milestone=CHURN,
        day=0,
        anchor=anchor,
        kind=kind,
        due_at=next_transactional_slot(max(occurred_at, now), tz),
        key=ask_key(CHURN, day=0, anchor=anchor),
    )


def is_stale(due_at: datetime, now: datetime) -> bool:
    """Whether an ask's time went by too long ago to send it (the scheduler was down)."""
    return due_at < now - LATE_GRACE
