"""Counts an operator watches (`GET /metrics`): surveys by state, backlogs, escalations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.figures import OpsSnapshot
from bot.domain.vocabulary import InvitationStatus
from storage.models import FollowUpCase, Invitation, OutboxEvent


async def snapshot(*, session: AsyncSession, now: datetime) -> OpsSnapshot:
    rows = await session.execute(
        select(Invitation.status, Invitation.kind, Invitation.channel, func.count()).group_by(
            Invitation.status, Invitation.kind, Invitation.channel
        )
    )
    invitations = {
        (str(status), str(kind), str(channel or "")): int(count)
        for status, kind, channel, count in rows
    }
    due = await session.scalar(
        select(func.count())
        .select_from(Invitation)
        .where(Invitation.status == InvitationStatus.SCHEDULED, Invitation.due_at <= now)
    )
    pending = (
        await session.execute(
            select(func.count(), func.min(OutboxEvent.created_at)).where(
                OutboxEvent.sink == "webhook",  # the CRM push's are `crm status`'s
                OutboxEvent.delivered_at.is_(None),
                OutboxEvent.dead_at.is_(None),
            )
        )
    ).one()
    escalations = await session.scalar(select(func.coalesce(func.sum(FollowUpCase.escalations), 0)))
    return OpsSnapshot(
        invitations=invitations,
        due_backlog=int(due or 0),
        outbox_backlog=int(pending[0] or 0),
        outbox_oldest=pending[1],
        escalations=int(escalations or 0),
    )


async def probe_read(*, session: AsyncSession) -> None:
    """The smallest question the database can answer."""
    await session.execute(text("SELECT 1"))


async def probe_write(*, session: AsyncSession, mark: str) -> None:
    """A write that leaves nothing behind once committed: a row added and taken away.

    The caller commits it: SQLite writes nothing to disk for a transaction rolled back (WAL
    mode writes at commit), so only a commit shows that a file which has become immutable,
    or a full disk, refuses writes. `mark` (at most 32 characters) is unique per probe, so
    probes never wait for each other, and the row is never seen outside the transaction.
    """
    await session.execute(
        text("INSERT INTO alembic_version (version_num) VALUES (:mark)"), {"mark": mark}
    )
    await session.execute(
        text("DELETE FROM alembic_version WHERE version_num = :mark"), {"mark": mark}
    )


async def checkpoint(*, session: AsyncSession) -> None:
    """SQLite: copy the WAL into the database file now (PASSIVE: waits for nobody), which
    fails when the file itself can no longer be written; nothing on other databases."""
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(text("PRAGMA wal_checkpoint(PASSIVE)"))
