"""Reads for `/voc account` and `/voc nps`: one account's history, NPS counts by scope."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.scores import ScoreSplit
from storage.models import Account, Contact, FollowUpCase, Insight, Response, ThemeTag
from storage.nps import split_columns, to_split


async def nps_counts(
    *,
    session: AsyncSession,
    since: datetime,
    until: datetime,
    segment: str | None = None,
    account_id: int | None = None,
) -> ScoreSplit:
    """Promoters, passives and detractors among NPS answers in [since, until)."""
    query = select(*split_columns()).where(
        Response.answered_at >= since, Response.answered_at < until
    )
    if segment is not None:
        query = query.join(Account, Account.id == Response.account_id).where(
            Account.segment == segment
        )
    if account_id is not None:
        query = query.where(Response.account_id == account_id)
    return to_split((await session.execute(query)).one())


async def account_responses(
    *, session: AsyncSession, account_id: int, limit: int
) -> list[tuple[Response, Contact]]:
    rows = await session.execute(
        select(Response, Contact)
        .join(Contact, Contact.id == Response.contact_id)
        .where(Response.account_id == account_id)
        .order_by(Response.answered_at.desc(), Response.id.desc())
        .limit(limit)
    )
    return [(response, contact) for response, contact in rows.all()]


async def account_cases(
    *, session: AsyncSession, account_id: int, limit: int
) -> list[FollowUpCase]:
    rows = await session.execute(
        select(FollowUpCase)
        .where(FollowUpCase.account_id == account_id)
        .order_by(FollowUpCase.opened_at.desc(), FollowUpCase.id.desc())
        .limit(limit)
    )
    return list(rows.scalars())


async def account_insights(
    *, session: AsyncSession, account_id: int, limit: int
) -> list[tuple[Insight, list[str]]]:
    """The account's latest insights, each with its theme names."""
    rows = await session.execute(
        select(Insight)
        .where(Insight.account_id == account_id)
        .order_by(Insight.created_at.desc(), Insight.id.desc())
        .limit(limit)
    )
    found = list(rows.scalars())
    ids = [insight.id for insight in found]
    tags: dict[int, list[str]] = {}
    if ids:
        tag_rows = await session.execute(
            select(ThemeTag.insight_id, ThemeTag.theme)
            .where(ThemeTag.insight_id.in_(ids))
            .order_by(ThemeTag.theme)
        )
        for insight_id, theme in tag_rows.all():
            tags.setdefault(insight_id, []).append(theme)
    return [(insight, tags.get(insight.id or 0, [])) for insight in found]
