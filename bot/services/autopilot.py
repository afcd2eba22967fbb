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
from datetime import datetime, timedelta

from bot.core.runtime import Runtime
from bot.domain import cadence, eligibility, quarterly, sampling
from bot.domain.admin_commands import AutopilotChange, AutopilotOn
from bot.domain.admin_results import (
    AutopilotAlreadyRuns,
    AutopilotCannot,
    AutopilotChanged,
    AutopilotView,
    NoSuchAutopilot,
)
from bot.domain.vocabulary import AutopilotStatus, InvitationStatus, Trigger
from bot.services import audit, question_sets
from storage import autopilot as store
from storage import invitations
from storage.models import Autopilot

log = logging.getLogger(__name__)

HORIZON = timedelta(days=2)  # invitations are made this far ahead of their slot
PLAN_EVERY = timedelta(hours=1)  # how often one autopilot is planned
PAUSED_REASON = "autopilot paused"
STOPPED_REASON = "autopilot stopped"


async def turn_on(rt: Runtime, request: AutopilotOn, *, by: str | None = None) -> AutopilotView:
    """Start a rolling cadence for one kind (nps or csat) and everyone or one segment."""
    survey, every_days, segment_value = request.kind, request.every_days, request.segment
    now = rt.now()
    await question_sets.check_relationship_kind(rt, survey, now)
    async with rt.db.transaction() as session:
        existing = await store.running(session=session, kind=survey, segment=segment_value)
        if existing is not None:
            raise AutopilotAlreadyRuns(
                _id(existing), survey, segment_value or "everyone", existing.status
            )
        row = await store.create(
            session=session,
            kind=survey,
            segment=segment_value,
            every_days=every_days,
            anchor=now.date(),
            now=now,
            created_by=by,
            sample=str(request.sample) if request.sample else None,
            quarter_week=request.quarter_week,
        )
        await audit.record_in(
            session,
            actor=by or audit.CLI,
            action="autopilot",
            now=now,
            detail=f"#{row.id} {survey.value} {_rhythm(request)}, {segment_value or 'everyone'}",
        )
    return _view(row, Counter())


def _rhythm(request: AutopilotOn) -> str:
    said = (
        f"quarterly week {request.quarter_week}"
        if request.quarter_week
        else f"every {request.every_days}d"
    )
    return said + (f" sample {request.sample}" if request.sample else "")


async def list_autopilots(rt: Runtime) -> list[AutopilotView]:
    async with rt.db.session() as session:
        rows = await store.all_autopilots(session=session)
        return [
            _view(row, await store.outcomes(session=session, autopilot_id=_id(row))) for row in rows
        ]


async def change(
    rt: Runtime, request: AutopilotChange, *, by: str | None = None
) -> AutopilotChanged:
    """Pause, resume or stop one autopilot; what has not gone out is skipped when it stops
    or pauses."""
    target, action = request.autopilot_id, request.action
    now = rt.now()
    wanted, allowed = {
        "pause": (AutopilotStatus.PAUSED, (AutopilotStatus.ACTIVE,)),
        "resume": (AutopilotStatus.ACTIVE, (AutopilotStatus.PAUSED,)),
        "stop": (AutopilotStatus.STOPPED, (AutopilotStatus.ACTIVE, AutopilotStatus.PAUSED)),
    }[action]
    async with rt.db.transaction() as session:
        row = await store.get(session=session, autopilot_id=target)
        if row is None:
            raise NoSuchAutopilot(target)
        if row.status not in allowed:
            raise AutopilotCannot(target, row.status, action)
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
    return AutopilotChanged(target, wanted, skipped)


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
            for member in _sampled(row, period, members)
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


def _sampled(row: Autopilot, period: int, members: list[store.Member]) -> list[store.Member]:
    """The period's sample of the members (all of them without `--sample`): stratified by
    segment, seeded by the autopilot and the period so every pass draws the same people."""
    if not row.sample:
        return members
    chosen, _drawn = sampling.draw(
        members,
        sampling.parse_sample(row.sample),
        _id(row) * 100_003 + period,
        stratum=lambda member: member.segment,
        order=lambda member: member.id,
    )
    return chosen


def _periods_near(row: Autopilot, now: datetime) -> list[int]:
    """Periods a slot within the horizon can fall in (local dates are a day either side)."""
    if row.quarter_week:
        first = quarterly.period_of((now - timedelta(days=1)).date())
        last = quarterly.period_of((now + HORIZON + timedelta(days=1)).date())
        return list(range(first, last + 1))
    first = cadence.period_of(row.anchor, row.every_days, (now - timedelta(days=1)).date())
    last = cadence.period_of(row.anchor, row.every_days, (now + HORIZON + timedelta(days=1)).date())
    return [period for period in range(first, last + 1) if period >= 0]


def _due_at(row: Autopilot, period: int, member: store.Member, now: datetime) -> datetime | None:
    """The member's slot when it is near; a catch-up window when it went by unasked."""
    week = row.quarter_week
    if week:
        when = quarterly.slot(period, week, member.id, member.tz)
    else:
        when = cadence.slot(row.anchor, row.every_days, period, member.id, member.tz)
    if when > now + HORIZON:
        return None
    if when >= now:
        return when
    if week:
        return quarterly.catch_up(period, week, now, member.tz)
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
        quarter_week=row.quarter_week,
        sample=row.sample,
    )


def _id(row: Autopilot) -> int:
    assert row.id is not None
    return row.id
