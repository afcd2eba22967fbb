"""A pace shared through the database: each paced call reserves its own moment.

One row per pace holds `next_at`, the next free moment. A reservation moves it one
interval past `max(next_at, now)` in a single UPDATE and returns the moment reserved, so
callers in any number of processes get distinct moments an interval apart: together they
keep the rate, and a lone process keeps its own. Moments are Unix seconds: the processes
share the machine's (or NTP's) clock.
"""

from __future__ import annotations

from sqlalchemy import case, literal, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.feedback import insert_ignoring_duplicates
from storage.models import SendPace


async def reserve(
    *,
    session: AsyncSession,
    name: str,
    now: float,
    interval: float,
    count: int = 1,
    not_before: float = 0.0,
) -> list[float]:
    """`count` moments, `interval` apart, for calls of pace `name`, at or after `now` and
    `not_before`; nobody else gets any of them."""
    start = max(now, not_before)
    earliest = case((SendPace.next_at > start, SendPace.next_at), else_=literal(start))
    statement = (
        update(SendPace)
        .where(SendPace.name == name)
        .values(next_at=earliest + count * interval)
        .returning(SendPace.next_at)
        .execution_options(synchronize_session=False)
    )
    end = (await session.execute(statement)).scalar_one_or_none()
    if end is None:  # the pace's first use
        await insert_ignoring_duplicates(session, SendPace, {"name": name, "next_at": start})
        end = (await session.execute(statement)).scalar_one()
    return [end - (count - i) * interval for i in range(count)]
