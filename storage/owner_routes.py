"""Insights routed to their theme owners (THEME_OWNERS): one row an insight, so once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.feedback import insert_ignoring_duplicates
from storage.models import OwnerRoute


async def claim(*, session: AsyncSession, insight_id: int, now: datetime) -> bool:
    """True for the first claim of this insight's routing; False ever after."""
    return await insert_ignoring_duplicates(
        session, OwnerRoute, {"insight_id": insight_id, "created_at": now}
    )


async def finish(
    *, session: AsyncSession, insight_id: int, now: datetime, error: str | None
) -> None:
    values: dict[str, object] = {"error": error[:200]} if error else {"routed_at": now}
    await session.execute(
        update(OwnerRoute)
        .where(OwnerRoute.insight_id == insight_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
