"""Aggregate queries for the program's metrics, computed in the database."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.scores import CompletionRate, Rate
from storage.models import Account, FollowUpCase

TARGET_RATE = 0.8
FOLLOW_UP_WITHIN = timedelta(hours=48)  # the program's promise; an unlogged case is overdue after


async def follow_up_completion(
    *,
    session: AsyncSession,
    since: datetime,
    until: datetime,
    within: timedelta = FOLLOW_UP_WITHIN,
    now: datetime,
) -> CompletionRate:
    """Cases opened in [since, until) with a follow-up logged within `within`, per CSM.

    A case counts against the rate once it is opened; one whose 48 hours are not over yet
    and has no follow-up counts as not done, like an overdue one (the rate is read weekly).
    """
    by_csm, medians = await _per_csm(
        session, since=since, until=until, limit=int(within.total_seconds())
    )
    overall = Rate(sum(r.done for r in by_csm.values()), sum(r.total for r in by_csm.values()))
    still_open = FollowUpCase.logged_at.is_(None)
    counts = await session.execute(
        select(
            func.count(FollowUpCase.id),
            func.sum(case((FollowUpCase.opened_at <= now - within, 1), else_=0)),
        ).where(still_open)
    )
    open_cases, overdue = counts.one()
    return CompletionRate(overall, by_csm, int(open_cases or 0), int(overdue or 0), medians)


async def _per_csm(
    session: AsyncSession, *, since: datetime, until: datetime, limit: int
) -> tuple[dict[str | None, Rate], dict[str | None, int]]:
    """Per CSM, of the cases opened in [since, until): how many were followed up within
    `limit` seconds out of all, and the median seconds to the first follow-up.

    One pass over the cases, SQLite and PostgreSQL alike: window functions number each
    CSM's followed-up cases by their seconds (the others in a partition of their own), and
    the middle one, or the two middle ones, are summed as `statistics.median` would take
    them; one row per CSM comes back, never one per case.
    """
    seconds = FollowUpCase.follow_up_seconds
    csm = Account.csm_user_id.label("csm")
    side = [csm, seconds.is_(None)]
    ranked = (
        select(
            csm,
            seconds.label("seconds"),
            func.row_number().over(partition_by=side, order_by=seconds).label("position"),
            func.count().over(partition_by=side).label("size"),
        )
        .join(Account, Account.id == FollowUpCase.account_id)
        .where(FollowUpCase.opened_at >= since, FollowUpCase.opened_at < until)
        .subquery("ranked")
    )
    # integer division on both databases: the middle position(s) of 1..size
    middle = and_(
        ranked.c.seconds.is_not(None),
        ranked.c.position.in_([(ranked.c.size + 1) // 2, (ranked.c.size + 2) // 2]),
    )
    rows = await session.execute(
        select(
            ranked.c.csm,
            func.sum(case((ranked.c.seconds <= limit, 1), else_=0)),
            func.count(),
            func.sum(case((middle, ranked.c.seconds), else_=0)),
            func.sum(case((middle, 1), else_=0)),
        ).group_by(ranked.c.csm)
    )
    by_csm: dict[str | None, Rate] = {}
    medians: dict[str | None, int] = {}
    for group, done, total, middle_sum, middle_count in rows.all():
        by_csm[group] = Rate(int(done or 0), int(total))
        if middle_count:  # the sum of one or two values, halved like statistics.median
            medians[group] = int(int(middle_sum) / int(middle_count))
    return by_csm, medians
