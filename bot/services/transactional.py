"""Transactional surveys: which events from other systems schedule which surveys, and when.

An event names a contact by email. Its surveys are due at once, or at 08:00 local when the
event lands in the 21:00–08:00 quiet hours. The surveys of one event count as one for the
7-day transactional fatigue rule, so a closed ticket always gets both its CSAT and its CES:
in one DM, the CES asked in place once the CSAT is answered (bot/domain/questions.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.errors import TryLater, UnknownContact
from bot.core.runtime import Runtime
from bot.domain import eligibility, questions
from bot.domain.names import clean_email
from bot.domain.send_windows import next_transactional_slot
from bot.services import email_survey, reach
from storage import audience, events, invitations
from storage.models import (
    UNREACHABLE_REASONS,
    Contact,
    DeliveryChannel,
    IngestedEvent,
    Invitation,
    InvitationStatus,
    SkipReason,
    SurveyKind,
    Trigger,
)

log = logging.getLogger(__name__)
S = InvitationStatus
_AGAIN = "send the event again later"
_SKIP_REASONS = frozenset(SkipReason)

TOO_OLD = "too old"
MAX_AGE = timedelta(hours=24)
MAX_AGE_BY_EVENT = {"renewal_signed": timedelta(days=7)}


@dataclass(frozen=True)
class EventSurveys:
    """What one kind of event asks for: the trigger recorded and the survey kinds sent."""

    trigger: Trigger
    kinds: tuple[SurveyKind, ...]


SURVEYS_BY_EVENT: dict[str, EventSurveys] = {
    "ticket_closed": EventSurveys(Trigger.SUPPORT, (SurveyKind.CSAT, SurveyKind.CES)),
    "onboarding_completed": EventSurveys(Trigger.ONBOARDING, (SurveyKind.CSAT, SurveyKind.NPS)),
    "training_attended": EventSurveys(Trigger.TRAINING, (SurveyKind.CSAT,)),
    "renewal_signed": EventSurveys(Trigger.RENEWAL, (SurveyKind.CES,)),
}
EVENTS = tuple(SURVEYS_BY_EVENT)


@dataclass(frozen=True)
class EventAnswer:
    """The answer to an event; `replayed` when its event_id was seen before."""

    body: dict[str, Any]
    replayed: bool = False


# pure rules


def surveys_for(event: str) -> EventSurveys:
    return SURVEYS_BY_EVENT[event]


def is_too_old(event: str, occurred_at: datetime, now: datetime) -> bool:
    """Whether a survey about the event would be stale (24 h; 7 days for a renewal)."""
    return now - occurred_at > MAX_AGE_BY_EVENT.get(event, MAX_AGE)


def due_at(occurred_at: datetime, now: datetime, tz: str | None) -> datetime:
    """When the event's surveys go out: at once, never in the contact's quiet hours."""
    return next_transactional_slot(max(now, occurred_at), tz)


def answer_body(scheduled: list[dict[str, Any]], skipped: str | None) -> dict[str, Any]:
    return {"scheduled": scheduled, "skipped": skipped}


def scheduled_entry(invitation_id: int | None, kind: str, due: datetime) -> dict[str, Any]:
    return {"invitation_id": invitation_id, "kind": str(kind), "due_at": due.isoformat()}


def invitation_context(event: str, context: dict[str, Any] | None) -> dict[str, Any]:
    return {"event": event, **(context or {})}


# the service


async def schedule_for_event(
    rt: Runtime,
    *,
    event: str,
    email: str,
    occurred_at: datetime,
    context: dict[str, Any] | None,
    event_id: str | None,
    now: datetime,
) -> EventAnswer:
    """Create the event's invitations (or skipped ones saying why) and the answer to send.

    With an `event_id`, the event is recorded in the same transaction; a resend (even a
    concurrent one, caught by the unique key) gets the first answer back and creates nothing.

    Raises:
        UnknownContact: no contact has the email; nothing was stored.
        TryLater: Slack could not be reached to resolve the contact; nothing was stored.
    """
    if event_id and (stored := await _stored_answer(rt, event_id)) is not None:
        return EventAnswer(stored, replayed=True)
    contact = await _contact(rt, clean_email(email))
    too_old = is_too_old(event, occurred_at, now)
    # Slack is asked before the transaction, so no lock is held while it answers.
    lookup = None if too_old or contact.opted_out else await _resolve(rt, contact, now)
    channel = None
    if lookup in UNREACHABLE_REASONS and email_survey.enabled(rt.settings):
        lookup, channel = None, DeliveryChannel.EMAIL  # Slack cannot reach them: email
    plan = _Plan(event, occurred_at, invitation_context(event, context), too_old, lookup, channel)
    try:
        body = await _store(rt, contact, plan, event_id, now)
    except IntegrityError:
        if event_id and (stored := await _stored_answer(rt, event_id)) is not None:
            return EventAnswer(stored, replayed=True)
        raise
    extra = {"event": event, "contact_id": contact.id, "skipped": body["skipped"]}
    log.info("event ingested", extra=extra | {"scheduled": len(body["scheduled"])})
    return EventAnswer(body)


@dataclass(frozen=True)
class _Plan:
    event: str
    occurred_at: datetime
    context: dict[str, Any]
    too_old: bool
    lookup_reason: str | None  # "no Slack user", from the lookup before the transaction
    channel: str | None = None  # DeliveryChannel.EMAIL when Slack cannot reach them


async def _store(
    rt: Runtime, contact: Contact, plan: _Plan, event_id: str | None, now: datetime
) -> dict[str, Any]:
    """One transaction: the event's row (if it has an id), its invitations, the answer."""
    async with rt.db.transaction() as session:
        ingested = await _record_event(session, event_id, plan, contact.email, now)
        locked = await _lock_contact(session, contact)
        body = await _create_invitations(session, locked, plan, now)
        if ingested is not None:
            ingested.result = body
    return body


async def _create_invitations(
    session: AsyncSession, contact: Contact, plan: _Plan, now: datetime
) -> dict[str, Any]:
    """One invitation per survey kind of the event: scheduled, or skipped with the reason.

    A follow-up question (bot/domain/questions.py) waits for the one it follows and is
    asked in place in the same DM; an emailed survey sends each question as before.
    """
    reason = TOO_OLD if plan.too_old else await _skip_reason(session, contact, now)
    reason = reason or plan.lookup_reason
    due = now if reason else due_at(plan.occurred_at, now, contact.tz)
    surveys = surveys_for(plan.event)
    chained = not reason and plan.channel is None
    created: list[Invitation] = []
    for question in questions.plan(surveys.trigger, surveys.kinds):
        follows = created[question.follows] if chained and question.follows is not None else None
        status = S.SKIPPED if reason else S.WAITING if follows else S.SCHEDULED
        invitation = await invitations.create_invitation(
            session=session,
            contact_id=_id(contact),
            kind=str(question.kind),
            trigger=surveys.trigger,
            due_at=due,
            now=now,
            status=status,
            skip_reason=reason,
            context=plan.context,
            channel=plan.channel,
            follows_invitation_id=follows.id if follows else None,
        )
        created.append(invitation)
    scheduled = [scheduled_entry(i.id, i.kind, due) for i in created]
    return answer_body([] if reason else scheduled, reason)


async def _skip_reason(session: AsyncSession, contact: Contact, now: datetime) -> str | None:
    """Opted out, or fatigue; decided under the contact's lock."""
    last = await invitations.last_surveyed_at(
        session=session, contact_id=_id(contact), relationship=False
    )
    return eligibility.skip_reason(
        opted_out=contact.opted_out, last_surveyed=last, relationship=False, now=now
    )


async def _lock_contact(session: AsyncSession, resolved: Contact) -> Contact:
    """The contact's row, locked so two events for one contact decide fatigue in turn."""
    locked = await session.get(Contact, _id(resolved), with_for_update=True)
    if locked is None:
        raise UnknownContact(f"no contact with email {resolved.email}; import it first")
    # Fill in only what was missing: another process may have changed the row meanwhile.
    for name in ("slack_user_id", "tz", "locale", "slack_team_id", "slack_checked_at"):
        if getattr(locked, name) is None and getattr(resolved, name) is not None:
            setattr(locked, name, getattr(resolved, name))
            locked.updated_at = resolved.updated_at
    return locked


async def _resolve(rt: Runtime, contact: Contact, now: datetime) -> str | None:
    """Fill in the contact's Slack id, zone and locale; a skip reason when it has no user."""
    try:
        reason = await reach.resolve_for_event(rt, contact, now)
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise TryLater(f"Slack could not be reached ({exc!r}): {_AGAIN}") from exc
    if reason is not None and reason not in _SKIP_REASONS:
        raise TryLater(f"{reason}: {_AGAIN}")  # a transient Slack error, not a verdict
    return reason


async def _contact(rt: Runtime, email: str) -> Contact:
    async with rt.db.session() as session:
        rows = await audience.campaign_contacts(session=session, email=email)
    if not rows:
        raise UnknownContact(f"no contact with email {email}; import it first")
    return rows[0][0]


async def _record_event(
    session: AsyncSession, event_id: str | None, plan: _Plan, email: str, now: datetime
) -> IngestedEvent | None:
    """The event's row, inserted first so a concurrent duplicate fails on the unique key."""
    if not event_id:
        return None
    return await events.record_event(
        session=session,
        event_id=event_id,
        event=plan.event,
        email=email,
        occurred_at=plan.occurred_at,
        now=now,
    )


async def _stored_answer(rt: Runtime, event_id: str) -> dict[str, Any] | None:
    async with rt.db.session() as session:
        return await events.event_answer(session=session, event_id=event_id)


def _id(contact: Contact) -> int:
    assert contact.id is not None
    return contact.id
