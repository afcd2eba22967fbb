"""The audit log of admin actions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


async def record(
    *, session: AsyncSession, actor: str, action: str, detail: str | None, now: datetime
) -> None:
    await session.execute(
        insert(AuditEntry).values(at=now, actor=actor, action=action, detail=detail)
    )


async def entries(*, session: AsyncSession, limit: int) -> list[AuditEntry]:
    """The latest entries, oldest first."""
    result = await session.execute(
        select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    )
    return list(reversed(list(result.scalars())))
