"""Solved Zendesk tickets in: the webhook (`POST /hooks/zendesk`) and the polling fallback
over the incremental export (`zendesk sync`, and the worker every POLL_EVERY) both hand a
ticket to `take`, which asks its requester the support survey (CSAT, then CES: the
`ticket_closed` event of bot/services/transactional.py) at most once a ticket.

Once: a ticket seen is a row of `zendesk_tickets` with what was decided, and the ask itself
is the event `zendesk-ticket-{id}`, recorded with its invitations: a webhook retry, a
re-export or a webhook and a poll at the same moment find one or the other and ask nothing.
Sampling (`ZENDESK_SURVEY_EVERY`, bot/domain/zendesk.py) is by ticket id; the transactional
fatigue window keeps a requester from being asked twice within it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from bot.connectors.zendesk import Zendesk
from bot.core.runtime import Runtime
from bot.domain import zendesk as rules
from bot.domain.errors import UnknownContact
from bot.domain.zendesk import ASKED, SyncSummary
from bot.services import transactional
from storage import zendesk as store

log = logging.getLogger(__name__)

POLL_EVERY = timedelta(minutes=10)  # the export allows 10 calls a minute; webhooks lead
FIRST_LOOKBACK = timedelta(days=1)  # the first poll: tickets solved since yesterday
SAMPLED_OUT, NO_EMAIL, NO_CONTACT = "sampled out", "no requester", "no contact"


async def take(rt: Runtime, zd: Zendesk, ticket_id: int, now: datetime) -> str | None:
    """Ask the survey for a solved ticket seen for the first time; what was decided, or None
    when it was seen before (or is not solved: nothing is stored then).

    Raises:
        TryLater: Slack, Zendesk or the database could not answer; nothing was stored.
        CrmSetupError: Zendesk refuses the credentials or the URL.
    """
    async with rt.db.session() as session:
        if await store.decision_of(session=session, ticket_id=ticket_id) is not None:
            return None
    ticket = await zd.ticket(ticket_id)
    if ticket is None or not ticket.solved:
        return None
    decision, invitation_id = await _ask(rt, ticket, now)
    try:
        async with rt.db.transaction() as session:
            await store.record_ticket(
                session=session,
                ticket_id=ticket.id,
                decision=decision,
                invitation_id=invitation_id,
                solved_at=ticket.solved_at,
                resolution_minutes=ticket.resolution_minutes,
                now=now,
            )
    except IntegrityError:  # taken at the same moment by the webhook or a poll
        return None
    log.info("Zendesk ticket taken", extra={"ticket": ticket.id, "decision": decision})
    return decision


async def take_one(rt: Runtime, ticket_id: int, now: datetime) -> str | None:
    """`take` with a client of its own: the webhook's one ticket."""
    zd = Zendesk.from_settings(rt.settings)
    try:
        return await take(rt, zd, ticket_id, now)
    finally:
        await zd.close()


async def _ask(rt: Runtime, ticket: rules.Ticket, now: datetime) -> tuple[str, int | None]:
    if not rules.sampled(ticket.id, rt.settings.zendesk_survey_every):
        return SAMPLED_OUT, None
    if not ticket.requester_email:
        return NO_EMAIL, None
    try:
        answer = await transactional.schedule_for_event(
            rt,
            event=rules.EVENT,
            email=ticket.requester_email,
            occurred_at=min(ticket.solved_at or now, now),
            context=ticket.context(),
            event_id=f"zendesk-ticket-{ticket.id}",
            now=now,
            sample=False,  # already one in ZENDESK_SURVEY_EVERY
        )
    except UnknownContact:
        return NO_CONTACT, None
    scheduled = answer.body.get("scheduled") or []
    if not scheduled:
        return str(answer.body.get("skipped") or "skipped"), None
    return ASKED, scheduled[0]["invitation_id"]  # the CSAT: the note answers it


async def sync(
    rt: Runtime, now: datetime, *, progress: Callable[[SyncSummary], None] | None = None
) -> SyncSummary:
    """The polling fallback: the export from the stored cursor (or since FIRST_LOOKBACK),
    each solved ticket taken, the cursor kept after every whole page.

    Raises:
        CrmSetupError: bad credentials or URL; nothing was written.
        CrmUnavailable: Zendesk kept failing; the cursor stays at the last whole page.
    """
    summary = SyncSummary()
    zd = Zendesk.from_settings(rt.settings)
    try:
        async with rt.db.session() as session:
            cursor = await store.cursor(session=session)
        while True:
            page = await zd.export(cursor=cursor, start_time=now - FIRST_LOOKBACK)
            summary.pages += 1
            for ticket_id, status in page.tickets:
                if status in rules.SOLVED:
                    summary.solved += 1
                    summary.count(await take(rt, zd, ticket_id, now))
            cursor = page.after_cursor
            async with rt.db.transaction() as session:
                done = now if page.end_of_stream else None
                await store.save_cursor(
                    session=session, cursor=cursor, now=done, summary=_shown(summary)
                )
            if progress is not None:
                progress(summary)
            if page.end_of_stream or not page.tickets:
                return summary
    finally:
        await zd.close()


async def sync_due(rt: Runtime, now: datetime) -> SyncSummary | None:
    """Scheduler job: a poll when Zendesk is set and the last one is POLL_EVERY old."""
    if not rt.settings.zendesk_on:
        return None
    async with rt.db.session() as session:
        last = await store.last_poll(session=session)
    if last is not None and now - last < POLL_EVERY:
        return None
    return await sync(rt, now)


def _shown(summary: SyncSummary) -> dict[str, object]:
    return {"pages": summary.pages, "solved": summary.solved, **summary.decided}
