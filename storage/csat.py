"""CSAT grouped by what the ticket event said: its `context.agent` and `context.issue_type`.

Transactional surveys keep the event's context on the invitation (bot/services/transactional.py),
and a response copies those two labels when it is recorded (`context_labels`), so a support
team reads its CSAT per agent and per kind of issue from the responses alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.figures import Window
from bot.domain.scores import Average
from bot.domain.vocabulary import SurveyKind
from storage.models import Response

CONTEXT_KEYS = ("agent", "issue_type")


def context_labels(context: Mapping[str, Any] | None) -> dict[str, str | None]:
    """The invitation context's agent and issue type as text, for the response's columns.

    Strings as they are; numbers and booleans as their JSON text (`42`, `true`), which is
    what migration 0016 reads from the JSON of the answers recorded before it.
    """
    labels: dict[str, str | None] = {}
    for key in CONTEXT_KEYS:
        value = (context or {}).get(key)
        if isinstance(value, bool):
            labels[key] = "true" if value else "false"
        elif isinstance(value, str | int | float):
            labels[key] = str(value)
        else:
            labels[key] = None
    return labels


async def csat_by_context(
    *, session: AsyncSession, window: Window
) -> dict[str, dict[str, Average]]:
    """CSAT answers in the window by agent and by issue type, in one pass; answers without
    the label are left out of that grouping."""
    rows = await session.execute(
        select(Response.agent, Response.issue_type, func.sum(Response.score), func.count())
        .where(
            Response.kind == SurveyKind.CSAT,
            Response.answered_at >= window.since,
            Response.answered_at < window.until,
            # what the partial index `ix_responses_context` holds (storage/models.py `LABELLED`)
            or_(Response.agent.is_not(None), Response.issue_type.is_not(None)),
        )
        .group_by(Response.agent, Response.issue_type)
    )
    totals: dict[str, dict[str, list[int]]] = {key: {} for key in CONTEXT_KEYS}
    for agent, issue_type, total, count in rows.all():
        for key, label in zip(CONTEXT_KEYS, (agent, issue_type), strict=True):
            if label is not None:
                sums = totals[key].setdefault(label, [0, 0])
                sums[0] += int(total or 0)
                sums[1] += int(count)
    return {
        key: {label: Average(total, count) for label, (total, count) in groups.items()}
        for key, groups in totals.items()
    }
