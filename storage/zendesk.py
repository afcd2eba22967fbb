"""Queries for Zendesk: the solved tickets seen (once each), the export's cursor, the notes
going back to tickets through the outbox (`sink="zendesk"`), and CSAT by resolution time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.figures import Window
from bot.domain.scores import Average
from bot.domain.zendesk import band
from storage.models import FollowUpCase, OutboxEvent, Response, ZendeskSync, ZendeskTicket

SINK = "zendesk"
NAME = "zendesk"  # the one row of zendesk_syncs


async def decision_of(*, session: AsyncSession, ticket_id: int) -> str | None:
    """What was decided for a ticket already seen; None for a ticket never seen."""
    return await session.scalar(
        select(ZendeskTicket.decision).where(ZendeskTicket.ticket_id == ticket_id)
    )


async def record_ticket(
    *,
    session: AsyncSession,
    ticket_id: int,
    decision: str,
    invitation_id: int | None,
    solved_at: datetime | None,
    resolution_minutes: int | None,
    now: datetime,
) -> None:
    """One row a ticket (unique: a concurrent second one fails on the key)."""
    session.add(
        ZendeskTicket(
            ticket_id=ticket_id,
            decision=decision[:40],
            invitation_id=invitation_id,
            solved_at=solved_at,
            resolution_minutes=resolution_minutes,
            seen_at=now,
        )
    )
    await session.flush()


async def ticket_of_invitation(*, session: AsyncSession, invitation_id: int) -> int | None:
    return await session.scalar(
        select(ZendeskTicket.ticket_id).where(ZendeskTicket.invitation_id == invitation_id)
    )


async def add_note_event(
    *, session: AsyncSession, ticket_id: int, response_id: int, now: datetime, due_at: datetime
) -> None:
    """The ticket's one note, due at `due_at`; its event id is the ticket's, so a ticket
    never has two."""
    await session.execute(
        insert(OutboxEvent).values(
            event_id=f"zendesk-note-{ticket_id}",
            type="zendesk.note",
            payload={"ticket_id": ticket_id, "response_id": response_id},
            created_at=now,
            due_at=due_at,
            sink=SINK,
        )
    )


async def hurry_note(*, session: AsyncSession, ticket_id: int, now: datetime) -> None:
    """The answer is complete (its comment saved): the ticket's note is due now."""
    await session.execute(
        update(OutboxEvent)
        .where(
            OutboxEvent.event_id == f"zendesk-note-{ticket_id}",
            OutboxEvent.delivered_at.is_(None),
            OutboxEvent.due_at > now,
        )
        .values(due_at=now)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class NoteFacts:
    """What a ticket's note says: the answer, and its #voc case's message when it has one."""

    kind: str
    score: int
    comment: str | None
    answered_at: datetime
    has_case: bool
    channel: str | None
    message_ts: str | None


async def note_facts(*, session: AsyncSession, response_id: int) -> NoteFacts | None:
    row = (
        await session.execute(
            select(Response, FollowUpCase.id, FollowUpCase.channel, FollowUpCase.message_ts)
            .outerjoin(FollowUpCase, FollowUpCase.response_id == Response.id)
            .where(Response.id == response_id)
        )
    ).first()
    if row is None:
        return None
    response, case_id, channel, ts = row
    return NoteFacts(
        response.kind,
        response.score,
        response.comment,
        response.answered_at,
        case_id is not None,
        channel,
        ts,
    )


async def cursor(*, session: AsyncSession) -> str | None:
    return await session.scalar(select(ZendeskSync.cursor).where(ZendeskSync.name == NAME))


async def last_poll(*, session: AsyncSession) -> datetime | None:
    return await session.scalar(select(ZendeskSync.finished_at).where(ZendeskSync.name == NAME))


async def save_cursor(
    *,
    session: AsyncSession,
    cursor: str | None,
    now: datetime | None = None,
    summary: dict[str, Any] | None = None,
) -> None:
    """Keep the cursor (after a whole page); with `now`, the poll finished then."""
    row = await session.get(ZendeskSync, NAME, with_for_update=True)
    if row is None:
        row = ZendeskSync(name=NAME)
        session.add(row)
    row.cursor = cursor
    if now is not None:
        row.finished_at, row.summary = now, summary
    await session.flush()


async def csat_by_resolution(*, session: AsyncSession, window: Window) -> dict[str, Average]:
    """CSAT answers in the window to Zendesk tickets, by resolution-time band (the digest's
    coaching section); tickets without Zendesk's metrics are left out."""
    timed = select(ZendeskTicket.id).where(
        ZendeskTicket.invitation_id.is_not(None), ZendeskTicket.resolution_minutes.is_not(None)
    )
    if await session.scalar(timed.limit(1)) is None:  # no Zendesk: no walk over the answers
        return {}
    rows = await session.execute(
        select(ZendeskTicket.resolution_minutes, func.sum(Response.score), func.count())
        .join(Response, Response.invitation_id == ZendeskTicket.invitation_id)
        .where(
            Response.kind == "csat",
            Response.answered_at >= window.since,
            Response.answered_at < window.until,
            ZendeskTicket.resolution_minutes.is_not(None),
        )
        .group_by(ZendeskTicket.resolution_minutes)
    )
    totals: dict[str, list[int]] = {}
    for minutes, total, count in rows.all():
        sums = totals.setdefault(band(int(minutes or 0)), [0, 0])
        sums[0] += int(total or 0)
        sums[1] += int(count)
    return {label: Average(total, count) for label, (total, count) in totals.items()}
