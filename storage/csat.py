"""CSAT grouped by what the ticket event said: its `context.agent` and `context.issue_type`.

Transactional surveys keep the event's context on the invitation (bot/services/transactional.py),
so a support team can read its CSAT per agent and per kind of issue.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.digest import Average, Window
from storage.models import Invitation, Response, SurveyKind

CONTEXT_KEYS = ("agent", "issue_type")


def context_field(key: str) -> Any:
    """The invitation's `context[key]` as text (NULL when absent), on SQLite and PostgreSQL."""
    return Invitation.context[key].as_string()


async def csat_by_context(*, session: AsyncSession, window: Window, key: str) -> dict[str, Average]:
    """CSAT answers in the window by `context[key]`; answers without it are left out."""
    return (await csat_by_contexts(session=session, window=window, keys=(key,)))[key]


async def csat_by_contexts(
    *, session: AsyncSession, window: Window, keys: tuple[str, ...] = CONTEXT_KEYS
) -> dict[str, dict[str, Average]]:
    """Key → label → CSAT of the window's answers, for every key in one pass.

    One `GROUP BY` over all the keys' values together reads the answers once (each key
    on its own would join them to their invitations again); the few groups are then
    added up per key here. Answers without a key's value are left out of that key.
    """
    groups = [context_field(key) for key in keys]
    rows = await session.execute(
        select(*groups, func.sum(Response.score), func.count(Response.id))
        .join(Invitation, Invitation.id == Response.invitation_id)
        .where(
            Response.kind == SurveyKind.CSAT,
            Response.answered_at >= window.since,
            Response.answered_at < window.until,
            or_(*(group.is_not(None) for group in groups)),
        )
        .group_by(*groups)
    )
    found: dict[str, dict[str, Average]] = {key: {} for key in keys}
    for *labels, total, count in rows.all():
        for key, label in zip(keys, labels, strict=True):
            if label is not None:
                _add(found[key], str(label), int(total or 0), int(count))
    return found


def _add(averages: dict[str, Average], label: str, score_sum: int, count: int) -> None:
    """Add one group's answers to the label's running CSAT."""
    before = averages.get(label, Average())
    averages[label] = Average(before.score_sum + score_sum, before.count + count)
