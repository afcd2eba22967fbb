"""Posts made once a period ("you said, we did" a month, a leadership report a month or
quarter): one row a key, claimed with a lease, so that of several processes one posts.

`rollup_runs` (key: the month) and `report_runs` (key: "monthly:2026-11") share this shape;
the digest's runs (`storage/digest_runs.py`) count attempts as well and keep their own.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import inspect, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.feedback import insert_ignoring_duplicates
from storage.models import ReportRun, RollupRun

RunTable = type[RollupRun] | type[ReportRun]
ERROR_LENGTH = 200  # the columns' size


def _key(table: RunTable) -> Any:
    return inspect(table).primary_key[0]


async def claim(
    *, session: AsyncSession, table: RunTable, key: str, now: datetime, lease: timedelta
) -> tuple[bool, bool]:
    """(claimed, retried): take the key's post unless it is posted or held by another.

    `retried` when an earlier claim's lease ran out: its post may already be in Slack, so the
    caller looks for it before posting.
    """
    column = _key(table)
    if await insert_ignoring_duplicates(
        session, table, {column.name: key, "lease_until": now + lease}
    ):
        return True, False
    result = await session.execute(
        update(table)
        .where(
            column == key,
            table.posted_at.is_(None),  # type: ignore[union-attr]
            or_(table.lease_until.is_(None), table.lease_until < now),  # type: ignore[union-attr, operator, arg-type]
        )
        .values(lease_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount), True  # type: ignore[attr-defined]  # DML gives a CursorResult


async def mark_posted(
    *, session: AsyncSession, table: RunTable, key: str, channel: str, ts: str, now: datetime
) -> None:
    await session.execute(
        update(table)
        .where(_key(table) == key)
        .values(channel=channel, message_ts=ts, posted_at=now, lease_until=None, error=None)
        .execution_options(synchronize_session=False)
    )


async def record_error(*, session: AsyncSession, table: RunTable, key: str, error: str) -> None:
    await session.execute(
        update(table)
        .where(_key(table) == key)
        .values(error=error[:ERROR_LENGTH])
        .execution_options(synchronize_session=False)
    )
