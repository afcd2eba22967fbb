"""CSAT grouped by what the ticket event said: its `context.agent` and `context.issue_type`.

Transactional surveys keep the event's context on the invitation (bot/services/transactional.py),
so a support team can read its CSAT per agent and per kind of issue.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.digest import Average, Window
from storage.models import Invitation, Response, SurveyKind

CONTEXT_KEYS = ("agent", "issue_type")


def context_field(key: str) -> Any:
    """The invitation's `context[key]` as text (NULL when absent), on SQLite and PostgreSQL."""
    return Invitation.context[key].as_string()


async def csat_by_context(*, session: AsyncSession, window: Window, key: str) -> dict[str, Average]:
    """CSAT answers in the window by `context[key]`; answers without it are left out."""
    group = context_field(key)
    rows = await session.execute(
        select(group, func.sum(Response.score), func.count(Response.id))
        .join(Invitation, Invitation.id == Response.invitation_id)
        .where(
            Response.kind == SurveyKind.CSAT,
            Response.answered_at >= window.since,
            Response.answered_at < window.until,
            group.is_not(None),
        )
        .group_by(group)
    )
    return {str(label): Average(int(total or 0), int(count)) for label, total, count in rows.all()}
