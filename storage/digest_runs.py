"""Queries over digest runs: one row per period, claimed with a lease like other scheduled work.

The unique `period` makes a second row impossible; the claim is one conditional UPDATE, so of
two schedulers (or two processes) at most one holds a period's lease, and a poster that died
leaves a lease that runs out and is taken over.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.records import ClaimedRun
from storage.models import DigestRun

D = DigestRun
ERROR_LENGTH = 200  # the column's size


async def is_posted(*, session: AsyncSession, period: str) -> bool:
    result = await session.execute(select(D.posted_at).where(D.period == period))
    return result.scalar_one_or_none() is not None


async def claim(
    *,
    session: AsyncSession,
    period: str,
    due_at: datetime,
    now: datetime,
    lease: timedelta,
    max_attempts: int,
) -> ClaimedRun | None:
    """Take the period's lease unless it is posted, leased by someone else or given up on."""
    try:
        async with session.begin_nested():
            await session.execute(insert(D).values(period=period, due_at=due_at, attempts=0))
    except IntegrityError:
        pass  # another process (or an earlier pass) created it: the UPDATE decides
    result = await session.execute(
        update(D)
        .where(
            D.period == period,
            D.posted_at.is_(None),
            D.attempts < max_attempts,
            or_(D.lease_until.is_(None), D.lease_until < now),
        )
        .values(lease_until=now + lease, attempts=D.attempts + 1)
        .returning(D.id, D.period, D.due_at, D.attempts, D.channel, D.message_ts)
        .execution_options(synchronize_session=False)
    )
    row = result.one_or_none()
    return ClaimedRun(*row) if row is not None else None


async def set_message(*, session: AsyncSession, run_id: int, channel: str, ts: str) -> None:
    """The digest message is in Slack; what is left (the chart) must not post it again."""
    await session.execute(
        update(D)
        .where(D.id == run_id)
        .values(channel=channel, message_ts=ts)
        .execution_options(synchronize_session=False)
    )


async def mark_posted(
    *, session: AsyncSession, run_id: int, now: datetime, error: str | None = None
) -> None:
    await session.execute(
        update(D)
        .where(D.id == run_id)
        .values(posted_at=now, lease_until=None, error=error[:ERROR_LENGTH] if error else None)
        .execution_options(synchronize_session=False)
    )


async def record_error(*, session: AsyncSession, run_id: int, error: str) -> None:
    """Keep the lease: the period is tried again once it runs out."""
    await session.execute(
        update(D)
        .where(D.id == run_id)
        .values(error=error[:ERROR_LENGTH])
        .execution_options(synchronize_session=False)
    )
