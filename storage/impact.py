"""What a ship or a fix changed: the requesting accounts' scores and a theme's share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.triage import Figure, average_figure, nps_figure, share_figure
from storage.models import Insight, Response, ThemeTag


async def scores(
    *, session: AsyncSession, account_ids: list[int], start: datetime, end: datetime
) -> tuple[Figure, Figure]:
    """(NPS, CSAT average) of the accounts' answers in [start, end), with their counts."""
    if not account_ids:
        return nps_figure(0, 0, 0), average_figure(0, 0)
    nps, csat = Response.kind == "nps", Response.kind == "csat"

    def counted(condition: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = (
        await session.execute(
            select(
                counted(nps & (Response.category == "promoter")),
                counted(nps & (Response.category == "passive")),
                counted(nps & (Response.category == "detractor")),
                func.coalesce(func.sum(case((csat, Response.score), else_=0)), 0),
                counted(csat),
            ).where(
                Response.account_id.in_(account_ids),
                Response.answered_at >= start,
                Response.answered_at < end,
            )
        )
    ).one()
    promoters, passives, detractors, csat_sum, csat_count = (int(value) for value in row)
    return nps_figure(promoters, passives, detractors), average_figure(csat_sum, csat_count)


async def theme_accounts(
    *, session: AsyncSession, theme: str, start: datetime, end: datetime
) -> list[int]:
    """The accounts whose feedback in [start, end) carries the theme."""
    rows = await session.execute(
        select(Insight.account_id)
        .join(ThemeTag, ThemeTag.insight_id == Insight.id)
        .where(ThemeTag.theme == theme, Insight.created_at >= start, Insight.created_at < end)
        .distinct()
    )
    return sorted(int(account_id) for account_id in rows.scalars())


async def theme_share(
    *, session: AsyncSession, theme: str, start: datetime, end: datetime
) -> Figure:
    """The theme's share of all comments (insights) in [start, end), with the total."""
    in_window = (Insight.created_at >= start) & (Insight.created_at < end)
    total = (await session.execute(select(func.count()).where(in_window))).scalar_one()
    themed = (
        await session.execute(
            select(func.count(distinct(Insight.id)))
            .join(ThemeTag, ThemeTag.insight_id == Insight.id)
            .where(in_window, ThemeTag.theme == theme)
        )
    ).scalar_one()
    return share_figure(int(themed), int(total))
