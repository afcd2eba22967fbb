"""Milestone surveys when they are due: each scheduler pass turns due asks into invitations.

An ask (storage/milestones.py) is recorded by an event (bot/services/transactional.py): a
day 30/60/90 after a milestone, a renewal's CES a week later, a churn's exit survey. When
its time comes a pass claims it with a lease and, in one transaction under the contact's
lock, decides eligibility (bot/domain/eligibility.py) at that moment, creates the
invitation (due at once, or skipped saying why) and links it to the ask: the link is made
once, so any number of processes and restarts ask each once. Delivery (bot/services/
delivery.py) then sends it in the same pass. An exit survey ignores fatigue (the customer
is leaving) but not an opt-out.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.runtime import Runtime
from bot.domain import milestones as rules
from bot.domain.errors import SlackConfigError, TryLater
from bot.domain.exit_survey import EXIT_KIND
from bot.domain.send_windows import next_transactional_slot
from bot.domain.vocabulary import (
    UNREACHABLE_REASONS,
    DeliveryChannel,
    InvitationStatus,
    SkipReason,
    Trigger,
)
from bot.services import email_survey, question_sets, transactional
from storage import invitations
from storage import milestones as store
from storage.models import Contact, MilestoneAsk

log = logging.getLogger(__name__)

BATCH = 100
LEASE = timedelta(minutes=5)  # an ask claimed by a pass that died is taken again after this
TRIGGERS = {rules.RENEWAL: Trigger.RENEWAL, rules.CHURN: Trigger.CHURN}


class _Taken(Exception):
    """Another process linked the ask first: this transaction rolls back."""


async def ask_due(rt: Runtime, now: datetime) -> int:
    """Turn due asks into invitations; how many were scheduled (not skipped)."""
    scheduled = 0
    while True:
        async with rt.db.transaction() as session:
            claimed = await store.claim_due(session=session, now=now, lease=LEASE, limit=BATCH)
        for ask in claimed:
            scheduled += await _ask(rt, ask, now)
        if len(claimed) < BATCH:
            return scheduled


async def _ask(rt: Runtime, ask: MilestoneAsk, now: datetime) -> int:
    """One ask: its invitation, scheduled or skipped; 1 when scheduled."""
    async with rt.db.session() as session:
        contact = await session.get(Contact, ask.contact_id)
    if contact is None:
        return 0
    try:
        lookup, channel = await _reach(rt, contact, ask, now)
    except (TryLater, SlackConfigError) as exc:  # the lease runs out; a later pass asks again
        log.warning("milestone ask put off", extra={"ask_id": ask.id, "error": str(exc)})
        return 0
    kind = await _kind(rt, ask, now)
    try:
        async with rt.db.transaction() as session:
            locked = await transactional.lock_contact(session, contact)
            reason = await _skip_reason(session, locked, ask, now) or lookup
            invitation = await invitations.create_invitation(
                session=session,
                contact_id=ask.contact_id,
                kind=kind,
                trigger=TRIGGERS.get(ask.milestone, Trigger.MILESTONE),
                due_at=next_transactional_slot(now, locked.tz) if reason is None else now,
                now=now,
                status=InvitationStatus.SKIPPED if reason else InvitationStatus.SCHEDULED,
                skip_reason=reason,
                context={"event": ask.milestone, "day": ask.day, "since": ask.anchor.isoformat()},
                channel=None if reason else channel,
            )
            assert ask.id is not None and invitation.id is not None
            if not await store.link_invitation(
                session=session, ask_id=ask.id, invitation_id=invitation.id, now=now
            ):
                raise _Taken
    except _Taken:
        return 0
    log.info("milestone asked", extra={"ask_id": ask.id, "skipped": reason})
    return int(reason is None)


async def _kind(rt: Runtime, ask: MilestoneAsk, now: datetime) -> str:
    """What the ask asks: the metric of the question set in force for its moment (the day-N
    milestone's, the renewal's), else the kind planned; an exit survey stays one."""
    if ask.kind == EXIT_KIND:
        return ask.kind
    trigger = TRIGGERS.get(ask.milestone, Trigger.MILESTONE)
    kinds = await question_sets.kinds_for(rt, trigger, (ask.kind,), now, day=ask.day)
    return kinds[0]


async def _reach(
    rt: Runtime, contact: Contact, ask: MilestoneAsk, now: datetime
) -> tuple[str | None, str | None]:
    """Find the contact in Slack when not known yet: (skip reason, channel). A contact Slack
    cannot reach gets a scored survey by email when email is on; never the exit survey."""
    if contact.opted_out or contact.slack_user_id:
        return None, None
    lookup = await transactional.resolve_contact(rt, contact, now)
    if (
        lookup in UNREACHABLE_REASONS
        and ask.kind != EXIT_KIND
        and email_survey.enabled(rt.settings)
    ):
        return None, DeliveryChannel.EMAIL
    return lookup, None


async def _skip_reason(
    session: AsyncSession, contact: Contact, ask: MilestoneAsk, now: datetime
) -> str | None:
    """Too late, opted out, or (except for an exit survey) transactional fatigue, now."""
    if rules.is_stale(ask.due_at, now):
        return transactional.TOO_OLD
    if ask.kind == EXIT_KIND:
        return SkipReason.OPTED_OUT if contact.opted_out else None
    return await transactional.skip_reason(session, contact, now)
