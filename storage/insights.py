"""Read queries over insights: theme counts and ARR-ranked feature requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.figures import HeardText, RequestRank, ThemeCount
from storage.models import Account, FeatureRequest, Insight, Response, ThemeTag


async def theme_counts(
    *,
    session: AsyncSession,
    since: datetime,
    until: datetime,
    category: str | None = None,
    limit: int | None = None,
) -> list[ThemeCount]:
    """Themes of the insights created in [since, until), most frequent first.

    Args:
        category: only insights from survey comments whose response has this category
            (e.g. "detractor"), so the share reads "28% of detractor comments mention …".
    """
    scope = select(Insight.id).where(Insight.created_at >= since, Insight.created_at < until)
    if category is not None:
        # the response's category looked up by its key, insight by insight: a join let
        # PostgreSQL scan every response of that category (a third of a million) instead
        answer = select(Response.category).where(Response.id == Insight.response_id)
        scope = scope.where(answer.scalar_subquery() == category)
    # one statement: the scope, read once as a CTE, gives both the themes and their total
    scope_ids = scope.cte("scope")
    total = select(func.count()).select_from(scope_ids).scalar_subquery()
    hits = func.count(distinct(ThemeTag.insight_id))
    query = (
        select(ThemeTag.theme, hits, total)
        .where(ThemeTag.insight_id.in_(select(scope_ids.c.id)))
        .group_by(ThemeTag.theme)
        .order_by(hits.desc(), ThemeTag.theme)
    )
    if limit is not None:
        query = query.limit(limit)
    rows = await session.execute(query)
    return [ThemeCount(theme, int(count), int(of or 0)) for theme, count, of in rows.all()]


async def top_requests(
    *, session: AsyncSession, limit: int = 10, include_shipped: bool = False
) -> list[RequestRank]:
    """Feature requests ranked by the summed ARR of the distinct accounts that asked."""
    asked = (
        select(Insight.feature_request_id.label("request_id"), Insight.account_id)
        .where(Insight.feature_request_id.is_not(None))
        .distinct()
        .subquery()
    )
    mentions = (
        select(Insight.feature_request_id.label("request_id"), func.count().label("n"))
        .where(Insight.feature_request_id.is_not(None))
        .group_by(Insight.feature_request_id)
        .subquery()
    )
    arr = func.coalesce(func.sum(Account.arr), 0.0)
    query = (
        select(
            FeatureRequest.id,
            FeatureRequest.name,
            FeatureRequest.status,
            func.count(asked.c.account_id),
            arr,
            func.max(mentions.c.n),
        )
        .join(asked, asked.c.request_id == FeatureRequest.id)
        .join(Account, Account.id == asked.c.account_id)
        .join(mentions, mentions.c.request_id == FeatureRequest.id)
        .group_by(FeatureRequest.id, FeatureRequest.name, FeatureRequest.status)
        .order_by(arr.desc(), func.count(asked.c.account_id).desc(), FeatureRequest.name)
        .limit(limit)
    )
    if not include_shipped:
        query = query.where(FeatureRequest.status != "shipped")
    rows = await session.execute(query)
    return [
        RequestRank(int(i), name, status, int(n), float(total), int(m))
        for i, name, status, n, total, m in rows.all()
    ]


async def theme_segments(
    *, session: AsyncSession, since: datetime, until: datetime, themes: list[str]
) -> dict[str, list[tuple[str | None, int]]]:
    """Theme → (segment, insights carrying it) for the insights created in [since, until)."""
    if not themes:
        return {}
    hits = func.count(distinct(ThemeTag.insight_id))
    rows = await session.execute(
        select(ThemeTag.theme, Account.segment, hits)
        .join(Insight, Insight.id == ThemeTag.insight_id)
        .join(Account, Account.id == Insight.account_id)
        .where(ThemeTag.theme.in_(themes), Insight.created_at >= since, Insight.created_at < until)
        .group_by(ThemeTag.theme, Account.segment)
        .order_by(hits.desc(), Account.segment)
    )
    found: dict[str, list[tuple[str | None, int]]] = {}
    for theme, segment, count in rows.all():
        found.setdefault(theme, []).append((segment, int(count)))
    return found


async def heard_texts(
    *, session: AsyncSession, since: datetime, until: datetime, limit: int
) -> list[HeardText]:
    """The words of the newest insights created in [since, until), at most `limit`."""
    rows = await session.execute(
        select(Account.name, Account.segment, Insight.text)
        .join(Account, Account.id == Insight.account_id)
        .where(Insight.created_at >= since, Insight.created_at < until)
        .order_by(Insight.created_at.desc(), Insight.id.desc())
        .limit(limit)
    )
    return [HeardText(name, segment, text) for name, segment, text in rows.all()]
