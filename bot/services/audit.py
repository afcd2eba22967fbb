"""The audit log: admin actions (send, ship, forget, export contact) with who and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.runtime import Runtime
from bot.domain.records import AuditLine
from storage import audit

CLI = "cli"  # the actor of a command run on the server
SHOWN = 200


async def record(
    rt: Runtime, *, actor: str, action: str, now: datetime, detail: str | None = None
) -> None:
    """Note an admin action; `detail` never holds personal data (an id, a kind, a count)."""
    async with rt.db.transaction() as session:
        await record_in(session, actor=actor, action=action, now=now, detail=detail)


async def record_in(
    session: AsyncSession, *, actor: str, action: str, now: datetime, detail: str | None = None
) -> None:
    """`record`, inside the caller's transaction (it happens only if the action does)."""
    await audit.record(session=session, actor=actor, action=action, detail=detail, now=now)


async def latest(rt: Runtime, limit: int = SHOWN) -> list[AuditLine]:
    """The latest admin actions, as `audit` lists them (blocks/terminal.py words them)."""
    async with rt.db.session() as session:
        entries = await audit.entries(session=session, limit=limit)
    return [AuditLine(e.at, e.actor, e.action, e.detail) for e in entries]
