"""Queries over the webhook outbox, and the account facts its events carry.

Claims follow `storage.invitations`: one conditional UPDATE whose candidates are locked with
`FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite has one writer, and the guard repeated in the
WHERE clause makes a second claim a no-op), so two workers never hold the same event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.claims import claimable
from storage.models import Account, Contact, Invitation, OutboxEvent

E = OutboxEvent
ERROR_LENGTH = 300  # the column's size


async def add_event(
    *,
    session: AsyncSession,
    event_id: str,
    type: str,
    payload: dict[str, Any],
    now: datetime,
    sink: str = "webhook",
) -> None:
    """Insert one event for `sink` ("webhook" or "crm"), due at once, in the caller's
    transaction."""
    await session.execute(
        insert(E).values(
            event_id=event_id, type=type, payload=payload, created_at=now, due_at=now, sink=sink
        )
    )


async def claim_due(
    *,
    session: AsyncSession,
    now: datetime,
    lease: timedelta,
    limit: int,
    sink: str = "webhook",
) -> list[Claimed]:
    """Lease up to `limit` due, undelivered events of `sink` that nobody else holds; oldest
    first, each marked as tried (`tried_at`, kept from its first claim)."""
    due = and_(
        E.sink == sink,
        E.delivered_at.is_(None),
        E.dead_at.is_(None),
        E.due_at <= now,
        or_(E.lease_until.is_(None), E.lease_until < now),
    )
    candidates = claimable(E.id, due, E.due_at, E.id, limit=limit)
    result = await session.execute(
        update(E)
        .where(E.id.in_(candidates), due)
        .values(lease_until=now + lease, tried_at=func.coalesce(E.tried_at, now))
        .returning(E.id, E.event_id, E.type, E.payload, E.created_at, E.attempts, E.tried_at)
        .execution_options(synchronize_session=False)
    )
    rows = sorted(result.all(), key=lambda row: row.id)
    # RETURNING gives the new tried_at: one earlier than this claim was set by another
    return [
        Claimed(r.id, r.event_id, r.type, r.payload, r.created_at, r.attempts, r.tried_at < now)
        for r in rows
    ]


@dataclass(frozen=True)
class Claimed:
    """A leased event; `tried_before` when an earlier claim started delivering it (a crash
    may have come between the receiver taking it and `mark_delivered`)."""

    id: int
    event_id: str
    type: str
    payload: dict[str, Any]
    created_at: datetime
    attempts: int
    tried_before: bool


async def mark_delivered(*, session: AsyncSession, id: int, now: datetime) -> None:
    await session.execute(
        update(E)
        .where(E.id == id, E.delivered_at.is_(None))
        .values(delivered_at=now, lease_until=None, last_error=None)
        .execution_options(synchronize_session=False)
    )


async def reschedule(*, session: AsyncSession, id: int, error: str, due_at: datetime) -> None:
    """Count a failed attempt and make the event due again at `due_at`."""
    await session.execute(
        update(E)
        .where(E.id == id, E.delivered_at.is_(None))
        .values(
            attempts=E.attempts + 1,
            last_error=error[:ERROR_LENGTH],
            due_at=due_at,
            lease_until=None,
        )
        .execution_options(synchronize_session=False)
    )


async def give_up(*, session: AsyncSession, id: int, error: str, now: datetime) -> None:
    """Count the last failed attempt and stop delivering the event (a dead letter)."""
    await session.execute(
        update(E)
        .where(E.id == id, E.delivered_at.is_(None))
        .values(attempts=E.attempts + 1, last_error=error[:ERROR_LENGTH], dead_at=now)
        .values(lease_until=None)
        .execution_options(synchronize_session=False)
    )


async def dead_letters(
    *, session: AsyncSession, limit: int = 200, sink: str = "webhook"
) -> list[E]:
    """Events of `sink` given up on, oldest first."""
    result = await session.execute(
        select(E)
        .where(E.sink == sink, E.dead_at.is_not(None), E.delivered_at.is_(None))
        .order_by(E.id)
        .limit(limit)
    )
    return list(result.scalars())


async def revive(*, session: AsyncSession, id: int, now: datetime) -> bool:
    """Make a dead letter due now with a fresh count of attempts; False when there is none."""
    result = await session.execute(
        update(E)
        .where(E.id == id, E.sink == "webhook", E.dead_at.is_not(None), E.delivered_at.is_(None))
        .values(dead_at=None, due_at=now, attempts=0, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]  # DML gives a CursorResult


async def account_ref(*, session: AsyncSession, account_id: int) -> dict[str, Any]:
    """The account as webhook events name it: `{"name": ..., "crm_id": ...}`."""
    row = (
        await session.execute(select(Account.name, Account.crm_id).where(Account.id == account_id))
    ).one()
    return {"name": row.name, "crm_id": row.crm_id}


async def response_facts(*, session: AsyncSession, invitation_id: int) -> Any:
    """What `response.created` adds to the answer: trigger, context, email and account."""
    result = await session.execute(
        select(
            Invitation.trigger,
            Invitation.context,
            Contact.email,
            Account.name.label("account_name"),
            Account.crm_id,
        )
        .join(Contact, Contact.id == Invitation.contact_id)
        .join(Account, Account.id == Contact.account_id)
        .where(Invitation.id == invitation_id)
    )
    return result.one()
