"""What one person's App Home shows: their open cases and their accounts' NPS, in SQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.crm_sync import synced
from bot.domain.figures import Window
from bot.domain.records import AccountNps, CaseCounts, HomeCase
from bot.domain.scores import ScoreSplit
from bot.domain.vocabulary import SurveyKind
from storage.crm_sync import last_good_runs
from storage.models import Account, FollowUpCase, Response
from storage.nps import split_columns, to_split

C = FollowUpCase


def _mine(user_id: str) -> ColumnElement[bool]:
    """Cases the person claimed, or unclaimed-or-not cases of accounts they are CSM of."""
    return and_(C.closed_at.is_(None), or_(C.claimed_by == user_id, Account.csm_user_id == user_id))


async def open_cases(
    *, session: AsyncSession, user_id: str, overdue_before: datetime, limit: int
) -> tuple[list[HomeCase], CaseCounts]:
    """The person's open cases, overdue first then oldest first, and how many in all.

    Args:
        overdue_before: a case opened before this with no follow-up logged is overdue.
    """
    overdue = and_(C.logged_at.is_(None), C.opened_at <= overdue_before)
    flag = case((overdue, 1), else_=0)
    rows = await session.execute(
        select(
            C.id,
            Account.name,
            C.kind,
            C.score,
            C.opened_at,
            C.claimed_by,
            flag,
            C.channel,
            C.message_ts,
            Response.comment,
        )
        .join(Account, Account.id == C.account_id)
        .outerjoin(Response, Response.id == C.response_id)
        .where(_mine(user_id))
        .order_by(flag.desc(), C.opened_at, C.id)
        .limit(limit)
    )
    cases = [
        HomeCase(i, name, kind, score, opened, claimed, bool(late), channel, ts, comment)
        for i, name, kind, score, opened, claimed, late, channel, ts, comment in rows.all()
    ]
    counts = (
        await session.execute(
            select(func.count(C.id), func.sum(flag))
            .join(Account, Account.id == C.account_id)
            .where(_mine(user_id))
        )
    ).one()
    return cases, CaseCounts(int(counts[0] or 0), int(counts[1] or 0))


async def account_nps(
    *, session: AsyncSession, user_id: str, window: Window, limit: int
) -> tuple[list[AccountNps], ScoreSplit, int]:
    """NPS in the window of each account the person is CSM of (most answers first), the
    split over all of them, and how many accounts they own."""
    answered = and_(
        Response.kind == SurveyKind.NPS,
        Response.answered_at >= window.since,
        Response.answered_at < window.until,
    )
    counts = split_columns(answered)
    total = counts[0] + counts[1] + counts[2]
    rows = await session.execute(
        select(Account.name, Account.crm_source, Account.crm_synced_at, *counts)
        .outerjoin(Response, and_(Response.account_id == Account.id, answered))
        .where(Account.csm_user_id == user_id)
        .group_by(Account.id, Account.name, Account.crm_source, Account.crm_synced_at)
        .order_by(total.desc(), Account.name)
        .limit(limit)
    )
    runs = await last_good_runs(session=session)
    accounts = [
        AccountNps(name, to_split(rest), synced(source, synced_at, runs))
        for name, source, synced_at, *rest in rows
    ]
    book = (
        await session.execute(
            select(func.count(func.distinct(Account.id)), *counts)
            .outerjoin(Response, and_(Response.account_id == Account.id, answered))
            .where(Account.csm_user_id == user_id)
        )
    ).one()
    owned, *split = book
    return accounts, to_split(split), int(owned or 0)
