"""The CSAT back to its Zendesk ticket: one private note (score, comment, the #voc case's
link) and the tag `voc_csat_<score>`, through the outbox (`sink="zendesk"`), exactly once.

A CSAT answer to a survey a solved ticket asked (bot/services/zendesk_tickets.py) adds the
ticket's one event (its id is the ticket's: never two), due NOTE_WAIT later so the
requester's "why" can join it; the comment being saved makes it due at once. An unhappy
answer's note waits up to CARD_WAIT for its #voc card, for the link.

Delivery (`deliver_due`, beside the CRM push) writes the comment and the tag in one ticket
update. An event claimed again after a delivery started (`tried_before`: a crash or a
failure after the call went out) reads the ticket's comments and tags first and writes
nothing when the note is there. Zendesk answering 429 / 5xx after the client's retries makes
the event due again with the webhooks' backoff; refused credentials pause the push with one
ERROR line, every event still due. A closed ticket takes no update: delivered, not written.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from blocks import zendesk as words
from bot.connectors.zendesk import Zendesk
from bot.core.config import Settings
from bot.core.runtime import Runtime
from bot.domain.errors import ConfigError, CrmUnavailable
from bot.domain.zendesk import csat_tag
from bot.services.crm_push import permalink
from bot.services.webhooks import retry_or_give_up
from storage import crm_push as events
from storage import outbox
from storage import zendesk as store
from storage.outbox import Claimed

log = logging.getLogger(__name__)

BATCH = 20
LEASE = timedelta(minutes=10)  # longer than any call and its retries
NOTE_WAIT = timedelta(minutes=10)  # for the "why" that follows the tap
CARD_WAIT = timedelta(minutes=15)
CARD_POLL = timedelta(minutes=1)
CLOSED = "the ticket is closed: Zendesk takes no note"
_random = random.Random()
_paused: set[str] = set()


async def answered(
    session: AsyncSession,
    *,
    settings: Settings,
    invitation_id: int,
    response_id: int,
    kind: str,
    now: datetime,
) -> None:
    """In the tap's transaction: a CSAT a Zendesk ticket asked gets its note event."""
    if not settings.zendesk_on or kind != "csat":
        return
    ticket_id = await store.ticket_of_invitation(session=session, invitation_id=invitation_id)
    if ticket_id is not None:
        await store.add_note_event(
            session=session,
            ticket_id=ticket_id,
            response_id=response_id,
            now=now,
            due_at=now + NOTE_WAIT,
        )


async def comment_saved(
    session: AsyncSession, *, settings: Settings, invitation_id: int, now: datetime
) -> None:
    """The "why" was saved: the ticket's note goes now, with it."""
    if not settings.zendesk_on:
        return
    ticket_id = await store.ticket_of_invitation(session=session, invitation_id=invitation_id)
    if ticket_id is not None:
        await store.hurry_note(session=session, ticket_id=ticket_id, now=now)


async def deliver_due(
    rt: Runtime, now: datetime, *, draw: Callable[[], float] = _random.random
) -> int:
    """Scheduler job: lease due notes and write each; how many were delivered."""
    if not rt.settings.zendesk_on:
        return 0
    async with rt.db.transaction() as session:
        claimed = await outbox.claim_due(
            session=session, now=now, lease=LEASE, limit=BATCH, sink=store.SINK
        )
    if not claimed:
        return 0
    zd = Zendesk.from_settings(rt.settings)
    delivered = 0
    try:
        for index, event in enumerate(claimed):
            try:
                result = await _write(rt, zd, event, now)
            except ConfigError as exc:  # CrmSetupError: bad credentials or URL
                _pause(str(exc))
                await _release(rt, claimed[index:])
                return delivered
            except CrmUnavailable as exc:
                await _failed(rt, event, str(exc), now, draw)
                await _release(rt, claimed[index + 1 :])
                return delivered
            _paused.clear()
            async with rt.db.transaction() as session:
                if isinstance(result, datetime):
                    await events.wait(session=session, id=event.id, due_at=result)
                    continue
                await events.settle(session=session, id=event.id, now=rt.now(), note=result)
            delivered += 1
    finally:
        await zd.close()
    return delivered


async def _write(rt: Runtime, zd: Zendesk, event: Claimed, now: datetime) -> str | None | datetime:
    """None: written; a str: delivered without a write, and why; a datetime: not yet."""
    ticket_id, response_id = int(event.payload["ticket_id"]), int(event.payload["response_id"])
    async with rt.db.session() as session:
        facts = await store.note_facts(session=session, response_id=response_id)
    if facts is None:
        return "the answer is gone"
    if facts.has_case and not facts.message_ts and now - event.created_at < CARD_WAIT:
        return now + CARD_POLL  # the card is being posted: its link goes in the note
    marker = words.MARKER.format(response_id=response_id)
    tag = csat_tag(facts.score)
    if event.tried_before and await zd.has_note(ticket_id, marker=marker, tag=tag):
        return "already on the ticket"
    body = words.note_body(
        response_id=response_id,
        kind=facts.kind,
        score=facts.score,
        comment=facts.comment,
        answered_at=facts.answered_at,
        permalink=await permalink(rt, facts.channel, facts.message_ts),
        has_case=facts.has_case,
    )
    if not await zd.add_note(ticket_id, body=body, tag=tag):
        log.warning("Zendesk note not written: the ticket is closed", extra={"ticket": ticket_id})
        return CLOSED
    return None


async def _failed(
    rt: Runtime, event: Claimed, error: str, now: datetime, draw: Callable[[], float]
) -> None:
    if await retry_or_give_up(rt, event, error, now, draw):
        log.error(
            "Zendesk note given up", extra={"event": event.id, "attempts": event.attempts + 1}
        )
        return
    log.warning("Zendesk note not written; will retry", extra={"event": event.id})


async def _release(rt: Runtime, claimed: list[Claimed]) -> None:
    if claimed:
        async with rt.db.transaction() as session:
            await events.release(session=session, ids=[e.id for e in claimed])


def _pause(error: str) -> None:
    if error not in _paused:
        _paused.add(error)
        log.error("Zendesk note push paused: %s", error)
