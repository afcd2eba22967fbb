"""Transactional surveys: which events from other systems schedule which surveys, and when.

An event names a contact by email. Its surveys are due at once, or at 08:00 local when the
event lands in the 21:00–08:00 quiet hours. The surveys of one event count as one for the
7-day transactional fatigue rule, so a closed ticket always gets both its CSAT and its CES:
in one DM, the CES asked in place once the CSAT is answered (bot/domain/questions.py).
A question set in force for the trigger (SURVEYS_FILE, `/voc survey`) replaces the event's
kinds with its one metric, whose follow-ups are then asked in the same message.

Milestone events ask later: `onboarding_started`, `activated` and `customer_since` plan a
survey per day of MILESTONE_DAYS, `renewal_signed` its CES a week later, `churned` an exit
survey (bot/domain/milestones.py). They record asks with due times (storage/milestones.py);
a scheduler pass (bot/services/milestones.py) turns each into an invitation when due.
`customer_since` and `churned` may name an account instead of a contact.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

import aiohttp
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.runtime import Runtime
from bot.domain import eligibility, questions, sampling
from bot.domain import milestones as rules
from bot.domain.exit_survey import EXIT_KIND
from bot.domain.names import clean_email, name_key
from bot.domain.send_windows import next_transactional_slot, zone
from bot.domain.user_errors import (
    NoAccountForEvent,
    NoContactForEvent,
    SlackRefusedForNow,
    SlackUnreachable,
)
from bot.domain.vocabulary import (
    UNREACHABLE_REASONS,
    DeliveryChannel,
    InvitationStatus,
    SkipReason,
    SurveyKind,
    Trigger,
)
from bot.services import email_survey, question_sets, reach
from storage import accounts, audience, events, invitations
from storage import milestones as asks
from storage.models import Account, Contact, IngestedEvent, Invitation, MilestoneAsk

log = logging.getLogger(__name__)
S = InvitationStatus
_SKIP_REASONS = frozenset(SkipReason)

TOO_OLD = "too old"
NO_CONTACTS = "no contacts"  # an account event for an account with no one to ask
NOT_SAMPLED = "not sampled"  # SURVEY_EVERY: another event of the trigger in N is asked
MAX_AGE = timedelta(hours=24)
MAX_AGE_BY_EVENT = {
    "renewal_signed": timedelta(days=7),
    "churned": timedelta(days=7),
    # a milestone's own date: the days already gone by are simply not asked
    **dict.fromkeys(rules.DAY_N_MILESTONES, timedelta.max),
}


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
# Events that record asks due later (storage/milestones.py) rather than invitations now.
LATER_EVENTS = (*rules.DAY_N_MILESTONES, rules.RENEWAL, rules.CHURN)
ACCOUNT_EVENTS = ("customer_since", rules.CHURN)  # these may name an account, not a contact
EVENTS = (*SURVEYS_BY_EVENT, *rules.DAY_N_MILESTONES, rules.CHURN)


@dataclass(frozen=True)
class EventAnswer:
    """The answer to an event; `replayed` when its event_id was seen before."""

    body: dict[str, Any]
    replayed: bool = False


# pure rules


def surveys_for(event: str) -> EventSurveys:
    return SURVEYS_BY_EVENT[event]


def is_too_old(event: str, occurred_at: datetime, now: datetime) -> bool:
    """Whether a survey about the event would be stale (24 h; 7 days for a renewal or a
    churn; never for a milestone date)."""
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
    sample: bool = True,
) -> EventAnswer:
    """Create the event's invitations (or skipped ones saying why) and the answer to send.

    `sample`: whether SURVEY_EVERY's one in N applies (Zendesk tickets are sampled by
    ZENDESK_SURVEY_EVERY before they get here).

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
    lookup = None if too_old or contact.opted_out else await resolve_contact(rt, contact, now)
    channel = None
    if lookup in UNREACHABLE_REASONS and email_survey.enabled(rt.settings):
        lookup, channel = None, DeliveryChannel.EMAIL  # Slack cannot reach them: email
    plan = _Plan(event, occurred_at, invitation_context(event, context), too_old, lookup, channel)
    surveys = SURVEYS_BY_EVENT.get(event)
    if surveys is not None:  # a question set in force for the trigger decides its metric
        kinds = await question_sets.kinds_for(rt, surveys.trigger, surveys.kinds, now)
        plan = replace(plan, kinds=tuple(SurveyKind(kind) for kind in kinds))
    every = (rt.settings.survey_every or {}).get(surveys.trigger, 1) if sample and surveys else 1
    plan = replace(plan, days=rt.settings.milestone_days, every=every)
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
    days: tuple[int, ...] = ()  # MILESTONE_DAYS, for a day-N milestone
    every: int = 1  # SURVEY_EVERY: one event of the trigger in N is asked
    kinds: tuple[SurveyKind, ...] = ()  # what is asked: a question set's metric, else the event's


async def _store(
    rt: Runtime, contact: Contact, plan: _Plan, event_id: str | None, now: datetime
) -> dict[str, Any]:
    """One transaction: the event's row (if it has an id), its invitations, the answer."""
    async with rt.db.transaction() as session:
        ingested = await _record_event(session, event_id, plan, contact.email, now)
        locked = await lock_contact(session, contact)
        if plan.event in LATER_EVENTS:
            body = await _record_asks(session, locked, plan, now)
        else:
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
    surveys = surveys_for(plan.event)
    surveys = replace(surveys, kinds=plan.kinds) if plan.kinds else surveys
    reason = TOO_OLD if plan.too_old else await skip_reason(session, contact, now)
    reason = reason or plan.lookup_reason
    if plan.every > 1:  # every event counts, asked or not, so one in N is asked
        counted = await invitations.count_for_trigger(
            session=session, trigger=surveys.trigger, kind=surveys.kinds[0]
        )
        if not sampling.one_in(plan.every, counted):
            reason = reason or NOT_SAMPLED
    due = now if reason else due_at(plan.occurred_at, now, contact.tz)
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


async def skip_reason(session: AsyncSession, contact: Contact, now: datetime) -> str | None:
    """Inactive in the CRM, opted out, or fatigue; decided under the contact's lock."""
    last = await invitations.last_surveyed_at(
        session=session, contact_id=_id(contact), relationship=False
    )
    return eligibility.skip_reason(
        opted_out=contact.opted_out,
        last_surveyed=last,
        relationship=False,
        now=now,
        active=contact.active,
    )


async def lock_contact(session: AsyncSession, resolved: Contact) -> Contact:
    """The contact's row, locked so two events for one contact decide fatigue in turn."""
    locked = await session.get(Contact, _id(resolved), with_for_update=True)
    if locked is None:
        raise NoContactForEvent(email=resolved.email)
    # Fill in only what was missing: another process may have changed the row meanwhile.
    for name in ("slack_user_id", "tz", "locale", "slack_team_id", "slack_checked_at"):
        if getattr(locked, name) is None and getattr(resolved, name) is not None:
            setattr(locked, name, getattr(resolved, name))
            locked.updated_at = resolved.updated_at
    return locked


async def resolve_contact(rt: Runtime, contact: Contact, now: datetime) -> str | None:
    """Fill in the contact's Slack id, zone and locale; a skip reason when it has no user."""
    try:
        reason = await reach.resolve_for_event(rt, contact, now)
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise SlackUnreachable(cause=repr(exc)) from exc
    if reason is not None and reason not in _SKIP_REASONS:
        raise SlackRefusedForNow(reason=reason)  # a transient Slack error, not a verdict
    return reason


async def _contact(rt: Runtime, email: str) -> Contact:
    async with rt.db.session() as session:
        rows = await audience.campaign_contacts(session=session, email=email)
    if not rows:
        raise NoContactForEvent(email=email)
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


# events that ask later (bot/domain/milestones.py)


async def schedule_for_account(
    rt: Runtime,
    *,
    event: str,
    account: str,
    occurred_at: datetime,
    context: dict[str, Any] | None,
    event_id: str | None,
    now: datetime,
) -> EventAnswer:
    """`customer_since` or `churned` for a whole account, named by CRM id or name.

    Raises:
        UnknownContact: no account has that CRM id or name; nothing was stored.
    """
    if event_id and (stored := await _stored_answer(rt, event_id)) is not None:
        return EventAnswer(stored, replayed=True)
    too_old = is_too_old(event, occurred_at, now)
    plan = _Plan(event, occurred_at, invitation_context(event, context), too_old, None)
    plan = replace(plan, days=rt.settings.milestone_days)
    try:
        async with rt.db.transaction() as session:
            found = await _account(session, account)
            ingested = await _record_event(session, event_id, plan, "", now)
            body = await _account_asks(session, found, plan, now)
            if ingested is not None:
                ingested.result = body
    except IntegrityError:
        if event_id and (stored := await _stored_answer(rt, event_id)) is not None:
            return EventAnswer(stored, replayed=True)
        raise
    log.info("account event ingested", extra={"event": event, "account_id": found.id})
    return EventAnswer(body)


async def _account(session: AsyncSession, reference: str) -> Account:
    """The account an event names by CRM id or by name, locked for the event."""
    found = await accounts.find_account_by_crm_id(
        session=session, crm_id=reference
    ) or await accounts.find_account_by_key(session=session, key=name_key(reference))
    if found is None:
        raise NoAccountForEvent(reference)
    locked = await session.get(Account, found.id, with_for_update=True)
    assert locked is not None
    return locked


async def _record_asks(
    session: AsyncSession, contact: Contact, plan: _Plan, now: datetime
) -> dict[str, Any]:
    """A later event for one contact: its asks, or why none (for customer_since, the
    account's date is set and each of its contacts gets the asks)."""
    if plan.event == "customer_since":
        account = await session.get(Account, contact.account_id, with_for_update=True)
        assert account is not None
        return await _account_asks(session, account, plan, now)
    if plan.too_old and plan.event in SURVEYS_BY_EVENT:  # a late renewal: skipped, as before
        return await _create_invitations(session, contact, plan, now)
    reason = TOO_OLD if plan.too_old else (SkipReason.OPTED_OUT if contact.opted_out else None)
    if reason:
        return answer_body([], reason)
    entries, planned = await _add_asks(session, contact, plan, now)
    return answer_body(entries, _nothing_new(entries, planned))


async def _account_asks(
    session: AsyncSession, account: Account, plan: _Plan, now: datetime
) -> dict[str, Any]:
    """A later event for an account: every contact not opted out gets its asks."""
    if plan.too_old:
        return answer_body([], TOO_OLD)
    if plan.event == "customer_since":
        account.customer_since = plan.occurred_at.date()
        account.updated_at = now
    members = await asks.contacts_of_account(session=session, account_id=_account_id(account))
    reachable = [member for member in members if not member.opted_out]
    if not reachable:
        return answer_body([], NO_CONTACTS)
    scheduled: list[dict[str, Any]] = []
    planned = 0
    for member in reachable:
        entries, count = await _add_asks(session, member, plan, now, named=True)
        scheduled += entries
        planned += count
    return answer_body(scheduled, _nothing_new(scheduled, planned))


def _nothing_new(entries: list[dict[str, Any]], planned: int) -> str | None:
    """Why a later event scheduled nothing: all of it was already planned, or its days
    have all gone by; None when it scheduled something."""
    if entries:
        return None
    return SkipReason.ALREADY_SCHEDULED if planned else TOO_OLD


async def _add_asks(
    session: AsyncSession, contact: Contact, plan: _Plan, now: datetime, *, named: bool = False
) -> tuple[list[dict[str, Any]], int]:
    """Record the event's asks for one contact (an ask it already has is left alone): the
    answer's entries for the new ones, and how many the event plans in all."""
    entries = []
    wanted = planned_asks(plan.event, plan.occurred_at, plan.days, contact.tz, now)
    for planned in wanted:
        if await _add_planned(session, contact, planned, now) is not None:
            entry = {"kind": str(planned.kind), "day": planned.day}
            entry |= {"due_at": planned.due_at.isoformat()}
            entries.append(entry | ({"email": contact.email} if named else {}))
    return entries, len(wanted)


async def plan_customer_since(
    session: AsyncSession, *, contact_ids: list[int], days: tuple[int, ...], now: datetime
) -> int:
    """Day-N asks for the given contacts whose account's customer_since is recent (the
    contacts import calls this); how many were new."""
    # the last day, moved past a weekend (2 days) and missed by up to LATE_GRACE, still asks
    since = now.date() - timedelta(days=max(days) + 2) - rules.LATE_GRACE - timedelta(days=1)
    added = 0
    for contact, customer_since in await asks.recent_customers(
        session=session, contact_ids=contact_ids, since=since
    ):
        if contact.opted_out:
            continue
        for planned in rules.plan_days("customer_since", customer_since, days, contact.tz, now):
            added += await _add_planned(session, contact, planned, now) is not None
    return added


async def _add_planned(
    session: AsyncSession, contact: Contact, planned: rules.PlannedAsk, now: datetime
) -> MilestoneAsk | None:
    """Record one planned ask; None when the contact already has one with its key."""
    return await asks.add_ask(
        session=session,
        contact_id=_id(contact),
        milestone=planned.milestone,
        day=planned.day,
        anchor=planned.anchor,
        key=planned.key,
        kind=planned.kind,
        due_at=planned.due_at,
        now=now,
    )


def planned_asks(
    event: str, occurred_at: datetime, days: tuple[int, ...], tz: str | None, now: datetime
) -> list[rules.PlannedAsk]:
    """What a later event asks of one contact, and when."""
    if event == rules.RENEWAL:
        return [rules.plan_renewal(occurred_at, tz, now)]
    if event == rules.CHURN:
        return [rules.plan_exit(EXIT_KIND, occurred_at, tz, now)]
    anchor = occurred_at.date() if event == "customer_since" else _local_date(occurred_at, tz)
    return rules.plan_days(event, anchor, days, tz, now)


def _local_date(moment: datetime, tz: str | None) -> date:
    return moment.astimezone(zone(tz)).date()


def _account_id(account: Account) -> int:
    assert account.id is not None
    return account.id
