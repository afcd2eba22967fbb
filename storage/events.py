"""Events other systems sent to POST /hooks/events, kept by id so a resend is harmless."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import IngestedEvent


async def record_event(
    *,
    session: AsyncSession,
    event_id: str,
    event: str,
    email: str,
    occurred_at: datetime,
    now: datetime,
) -> IngestedEvent:
    """Insert the event's row; a second insert of the same id fails on the unique key."""
    ingested = IngestedEvent(
        event_id=event_id, event=event, email=email, occurred_at=occurred_at, received_at=now
    )
    session.add(ingested)
    await session.flush()
    return ingested


async def event_answer(*, session: AsyncSession, event_id: str) -> dict[str, Any] | None:
    """The answer given to the first delivery of `event_id`, if there was one."""
    query = select(IngestedEvent.result).where(IngestedEvent.event_id == event_id)
    return (await session.execute(query)).scalar_one_or_none()
