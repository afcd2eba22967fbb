"""The autopilot: relationship surveys that repeat every N days without anyone typing `send`.

Turning it on writes one row; each scheduler pass (bot/scheduler.py) claims the rows whose
planning is due and, for every contact whose slot (bot/domain/cadence.py) comes within
`HORIZON`, records the contact's turn for that period and creates the invitation, due at
the slot. The turn's unique key (storage/autopilot.py) keeps a contact at one survey per
period across any number of processes and restarts; delivery then works like any other
invitation. Fatigue (bot/domain/eligibility.py) counts every other relationship survey.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core.runtime import Runtime
from bot.domain import cadence, eligibility
from bot.domain.errors import UserError
from bot.domain.vocabulary import AutopilotStatus, InvitationStatus, SurveyKind, Trigger
from bot.services import audit
from bot.services.surveys import parse_kind, parse_segment
from storage import autopilot as store
from storage import invitations
from storage.models import Autopilot

log = logging.getLogger(__name__)

HORIZON = timedelta(days=2)  # invitations are made this far ahead of their slot
PLAN_EVERY = timedelta(hours=1)  # how often one autopilot is planned
AUTOPILOT_KINDS = (SurveyKind.NPS, SurveyKind.CSAT)
PAUSED_REASON = "autopilot paused"
STOPPED_REASON = "autopilot stopped"


@dataclass(frozen=True)
class AutopilotView:
    """One autopilot as `autopilot list` and `campaigns` show it."""

    id: int
    kind: str
    segment: str | None
    every_days: int
    status: str
    anchor: str
    counts: Counter[str] = field(default_factory=Counter)

    def line(self) -> str:
        who = f"segment {self.segment}" if self.segment else "everyone"
        counts = ", ".join(f"{name} {count}" for name, count in sorted(self.counts.items()))
        return (
            f"#{self.id} {self.kind.upper()} every {self.every_days} days for {who}: "
            f"{self.status} since {self.anchor}" + (f" ({counts})" if counts else "")
        )


def parse_every_days(text: str) -> int:
    """The period in days from "90d", "12w", "3m" or "90", within the allowed range."""
    days = cadence.parse_every(text)
    if days is None:
        raise UserError(f'"{text}" is not a period: write it like 90d, 12w or 3m')
    if not cadence.MIN_EVERY_DAYS <= days <= cadence.MAX_EVERY_DAYS:
        raise UserError(
            f"Every {days} days is out of range: use {cadence.MIN_EVERY_DAYS} to "
            f"{cadence.MAX_EVERY_DAYS} days, e.g. 90d"
        )
    return days


async def turn_on(
    rt: Runtime,
    *,
    kind: str,
    every: str = f"{cadence.DEFAULT_EVERY_DAYS}d",
    segment: str | None = None,
    by: str | None = None,
) -> AutopilotView:
    """Start a rolling cadence for one kind (nps or csat) and everyone or one segment."""
    survey = parse_kind(kind)
    if survey not in AUTOPILOT_KINDS:
        raise UserError("The autopilot runs nps or csat; ces follows events (tickets, renewals)")
    every_days = parse_every_days(every)
    segment_value = parse_segment(segment) if segment else None
    now = rt.now()
    async with rt.db.transaction() as session:
        existing = await store.running(session=session, kind=survey, segment=segment_value)
        if existing is not None:
            raise UserError(
                f"Autopilot #{existing.id} already runs {survey.upper()} for "
                f"{segment_value or 'everyone'} ({existing.status}); stop it first: "
                f"autopilot stop {existing.id}"
            )
        row = await store.create(
            session=session,
            kind=survey,
            segment=segment_value,
            every_days=every_days,
            anchor=now.date(),
            now=now,
            created_by=by,
        )
        await audit.record_in(
            session,
            actor=by or audit.CLI,
            action="autopilot",
            now=now,
            detail=f"#{row.id} {survey.value} every {every_days}d, {segment_value or 'everyone'}",
        )
    return _view(row, Counter())


async def list_autopilots(rt: Runtime) -> list[AutopilotView]:
    async with rt.db.session() as session:
        rows = await store.all_autopilots(session=session)
        return [
            _view(row, await store.outcomes(session=session, autopilot_id=_id(row))) for row in rows
        ]


async def change(
    rt: Runtime, *, autopilot_id: str | int, action: str, by: str | None = None
) -> str:
    """Pause, resume or stop one autopilot; what has not gone out is skipped when it stops
    or pauses. Returns the sentence to show."""
    target = _parse_id(autopilot_id)
    now = rt.now()
    wanted, allowed = {
        "pause": (AutopilotStatus.PAUSED, (AutopilotStatus.ACTIVE,)),
        "resume": (AutopilotStatus.ACTIVE, (AutopilotStatus.PAUSED,)),
        "stop": (AutopilotStatus.STOPPED, (AutopilotStatus.ACTIVE, AutopilotStatus.PAUSED)),
    }[action]
    async with rt.db.transaction() as session:
        row = await store.get(session=session, autopilot_id=target)
        if row is None:
            raise UserError(f"No autopilot #{target}. See them with: autopilot list")
        if row.status not in allowed:
            raise UserError(f"Autopilot #{target} is {row.status}; it cannot {action}.")
        await store.set_status(session=session, autopilot_id=target, status=wanted, now=now)
        await audit.record_in(
            session,
            actor=by or audit.CLI,
            action=f"autopilot {action}",
            now=now,
            detail=f"#{target}",
        )
        skipped = 0
        if wanted != AutopilotStatus.ACTIVE:
            reason = PAUSED_REASON if wanted == AutopilotStatus.PAUSED else STOPPED_REASON
            skipped = await store.skip_scheduled(
                session=session, autopilot_id=target, reason=reason, now=now
            )
    held = f"; {skipped} invitation{'s' if skipped != 1 else ''} not yet sent will not go" * bool(
        skipped
    )
    return f"Autopilot #{target} is {wanted}{held}."


async def plan_due(rt: Runtime, now: datetime) -> int:
    """One planning pass of every due autopilot; how many invitations it created."""
    async with rt.db.transaction() as session:
        claimed = await store.claim_plannable(session=session, now=now, every=PLAN_EVERY)
    created = 0
    for row in claimed:
        created += await _plan(rt, row, now)
    return created


async def _plan(rt: Runtime, row: Autopilot, now: datetime) -> int:
    """Turns of one autopilot whose slot comes within the horizon, one transaction."""
    autopilot_id = _id(row)
    periods = _periods_near(row, now)
    created = 0
    async with rt.db.transaction() as session:
        members = await store.members(session=session, segment=row.segment)
        done = await store.asked(session=session, autopilot_id=autopilot_id, periods=periods)
        due = [
            (member, period, when)
            for period in periods
            for member in members
            if (member.id, period) not in done
            and (when := _due_at(row, period, member, now)) is not None
        ]
        last = await store.last_surveyed_elsewhere(
            session=session, autopilot_id=autopilot_id, contact_ids=[m.id for m, _p, _w in due]
        )
        for member, period, when in due:
            ask_id = await store.take_turn(
                session=session,
                autopilot_id=autopilot_id,
                contact_id=member.id,
                period=period,
                now=now,
            )
            if ask_id is None:
                continue  # another process took this turn
            reason = eligibility.skip_reason(
                opted_out=member.opted_out,
                last_surveyed=last.get(member.id),
                relationship=True,
                now=now,
            )
            invitation = await invitations.create_invitation(
                session=session,
                contact_id=member.id,
                kind=row.kind,
                trigger=Trigger.RELATIONSHIP,
                due_at=when,
                now=now,
                status=InvitationStatus.SKIPPED if reason else InvitationStatus.SCHEDULED,
                skip_reason=reason,
                context={"autopilot": autopilot_id, "period": period},
            )
            assert invitation.id is not None
            await store.link_invitation(session=session, ask_id=ask_id, invitation_id=invitation.id)
            created += reason is None
    if created:
        log.info("autopilot planned", extra={"autopilot": autopilot_id, "created": created})
    return created


def _periods_near(row: Autopilot, now: datetime) -> list[int]:
    """Periods a slot within the horizon can fall in (local dates are a day either side)."""
    first = cadence.period_of(row.anchor, row.every_days, (now - timedelta(days=1)).date())
    last = cadence.period_of(row.anchor, row.every_days, (now + HORIZON + timedelta(days=1)).date())
    return [period for period in range(first, last + 1) if period >= 0]


def _due_at(row: Autopilot, period: int, member: store.Member, now: datetime) -> datetime | None:
    """The member's slot when it is near; a catch-up window when it went by unasked."""
    when = cadence.slot(row.anchor, row.every_days, period, member.id, member.tz)
    if when > now + HORIZON:
        return None
    if when >= now:
        return when
    return cadence.catch_up(row.anchor, row.every_days, period, now, member.tz)


def _view(row: Autopilot, counts: Counter[str]) -> AutopilotView:
    return AutopilotView(
        id=_id(row),
        kind=row.kind,
        segment=row.segment,
        every_days=row.every_days,
        status=row.status,
        anchor=row.anchor.isoformat(),
        counts=counts,
    )


def _parse_id(text: str | int) -> int:
    try:
        return int(str(text).lstrip("#"))
    except ValueError:
        raise UserError(
            f'"{text}" is not an autopilot number; see them with: autopilot list'
        ) from None


def _id(row: Autopilot) -> int:
    assert row.id is not None
    return row.id


async def command(rt: Runtime, *, args: str, user_id: str) -> str:
    """`/voc autopilot [list] | nps|csat [90d] [segment] | pause|resume|stop ID`, for admins."""
    from bot.services.shipping import require_admin

    require_admin(rt, user_id, "run the autopilot")
    verb, *rest = args.split() or ["list"]
    verb = verb.lower()
    if verb == "list":
        views = await list_autopilots(rt)
        return "\n".join(view.line() for view in views) or (
            "No autopilot yet. Start one: `/voc autopilot nps 90d [segment]`"
        )
    if verb in ("pause", "resume", "stop"):
        if len(rest) != 1:
            raise UserError(f"Say which autopilot: `/voc autopilot {verb} 1`")
        return await change(rt, autopilot_id=rest[0], action=verb, by=user_id)
    if verb in AUTOPILOT_KINDS:
        every = next((word for word in rest if cadence.parse_every(word) is not None), None)
        segment = " ".join(word for word in rest if word != every) or None
        view = await turn_on(
            rt,
            kind=verb,
            every=every or f"{cadence.DEFAULT_EVERY_DAYS}d",
            segment=segment,
            by=user_id,
        )
        return f"Autopilot on: {view.line()}"
    raise UserError(
        "Try `/voc autopilot nps 90d [segment]`, `/voc autopilot list` or "
        "`/voc autopilot pause|resume|stop 1`"
    )
