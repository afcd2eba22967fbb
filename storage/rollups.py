"""The monthly "you said, we did" posts: one row a month, claimed with a lease, so once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.feedback import insert_ignoring_duplicates
from storage.models import RollupRun


async def claim(
    *, session: AsyncSession, month: str, now: datetime, lease: timedelta
) -> tuple[bool, bool]:
    """(claimed, retried): take the month's post unless it is posted or held by another.

    `retried` when an earlier claim's lease ran out: its post may already be in Slack.
    """
    added = await insert_ignoring_duplicates(
        session, RollupRun, {"month": month, "lease_until": now + lease}
    )
    if added:
        return True, False
    result = await session.execute(
        update(RollupRun)
        .where(
            RollupRun.month == month,
            RollupRun.posted_at.is_(None),
            or_(RollupRun.lease_until.is_(None), RollupRun.lease_until < now),
        )
        .values(lease_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount), True  # type: ignore[attr-defined]  # DML gives a CursorResult


async def mark_posted(
    *, session: AsyncSession, month: str, channel: str, ts: str, now: datetime
) -> None:
    await session.execute(
        update(RollupRun)
        .where(RollupRun.month == month)
        .values(channel=channel, message_ts=ts, posted_at=now, lease_until=None, error=None)
        .execution_options(synchronize_session=False)
    )


async def record_error(*, session: AsyncSession, month: str, error: str) -> None:
    await session.execute(
        update(RollupRun)
        .where(RollupRun.month == month)
        .values(error=error[:200])
        .execution_options(synchronize_session=False)
    )
