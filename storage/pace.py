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
    *, session: AsyncSession, name: str, now: float, interval: float, not_before: float = 0.0
) -> float:
    """The moment reserved for one call of pace `name`, at or after `now` and `not_before`."""
    start = max(now, not_before)
    earliest = case((SendPace.next_at > start, SendPace.next_at), else_=literal(start))
    statement = (
        update(SendPace)
        .where(SendPace.name == name)
        .values(next_at=earliest + interval)
        .returning(SendPace.next_at)
        .execution_options(synchronize_session=False)
    )
    moment = (await session.execute(statement)).scalar_one_or_none()
    if moment is None:  # the pace's first use
        await insert_ignoring_duplicates(session, SendPace, {"name": name, "next_at": start})
        moment = (await session.execute(statement)).scalar_one()
    return moment - interval
