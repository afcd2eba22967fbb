"""Aggregate queries for the program's metrics, computed in the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Account, FollowUpCase

TARGET_RATE = 0.8
FOLLOW_UP_WITHIN = timedelta(hours=48)  # the program's promise; an unlogged case is overdue after


@dataclass(frozen=True)
class Rate:
    done: int
    total: int

    @property
    def share(self) -> float | None:
        """None when there is nothing to divide (an empty period says so, never NaN)."""
        return self.done / self.total if self.total else None


@dataclass
class CompletionRate:
    overall: Rate
    by_csm: dict[str | None, Rate] = field(default_factory=dict)
    open_cases: int = 0
    overdue_cases: int = 0
    # the median time from the answer to the first follow-up, per CSM (cases followed up)
    median_seconds: dict[str | None, int] = field(default_factory=dict)


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
    limit = int(within.total_seconds())
    done = func.sum(case((FollowUpCase.follow_up_seconds <= limit, 1), else_=0))
    rows = await session.execute(
        select(Account.csm_user_id, done, func.count(FollowUpCase.id))
        .join(Account, Account.id == FollowUpCase.account_id)
        .where(FollowUpCase.opened_at >= since, FollowUpCase.opened_at < until)
        .group_by(Account.csm_user_id)
    )
    by_csm = {csm: Rate(int(d or 0), int(t)) for csm, d, t in rows.all()}
    overall = Rate(sum(r.done for r in by_csm.values()), sum(r.total for r in by_csm.values()))
    still_open = FollowUpCase.logged_at.is_(None)
    counts = await session.execute(
        select(
            func.count(FollowUpCase.id),
            func.sum(case((FollowUpCase.opened_at <= now - within, 1), else_=0)),
        ).where(still_open)
    )
    open_cases, overdue = counts.one()
    medians = await _median_seconds(session, since=since, until=until)
    return CompletionRate(overall, by_csm, int(open_cases or 0), int(overdue or 0), medians)


async def _median_seconds(
    session: AsyncSession, *, since: datetime, until: datetime
) -> dict[str | None, int]:
    """Per CSM, the median seconds to the first follow-up of cases opened in [since, until).

    Computed in SQL with window functions (SQLite and PostgreSQL alike): each CSM's values
    are numbered in order and the middle one, or the mean of the middle two, is kept, as
    `statistics.median` would; only one row per CSM comes back, not one per case.
    """
    seconds = FollowUpCase.follow_up_seconds
    csm = Account.csm_user_id.label("csm")
    ranked = (
        select(
            csm,
            seconds.label("seconds"),
            func.row_number().over(partition_by=csm, order_by=seconds).label("position"),
            func.count().over(partition_by=csm).label("size"),
        )
        .join(Account, Account.id == FollowUpCase.account_id)
        .where(
            FollowUpCase.opened_at >= since,
            FollowUpCase.opened_at < until,
            seconds.is_not(None),
        )
        .subquery("ranked")
    )
    # integer division on both databases: the middle position(s) of 1..size
    middle = ranked.c.position.in_([(ranked.c.size + 1) // 2, (ranked.c.size + 2) // 2])
    rows = await session.execute(
        select(ranked.c.csm, func.sum(ranked.c.seconds), func.count())
        .where(middle)
        .group_by(ranked.c.csm)
    )
    # the sum of one or two integers, halved as `statistics.median` does, then truncated
    return {group: int(int(total) / int(count)) for group, total, count in rows.all()}
