"""Queries only the leadership reports need: churned accounts with their last scores, and
the leadership reports' runs (one row a period, claimed with a lease, so posted once)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.leadership import Churned
from bot.domain.milestones import CHURN
from storage.feedback import insert_ignoring_duplicates
from storage.models import Account, Contact, MilestoneAsk, ReportRun, Response


async def churned_in(*, session: AsyncSession, start: date, end: date) -> list[Churned]:
    """Accounts whose churn (the `churned` event) fell in [start, end), with the last NPS,
    CSAT and CES any of their people gave; highest ARR first."""
    churned_on = func.min(MilestoneAsk.anchor).label("churned_on")
    rows = (
        await session.execute(
            select(Account.id, Account.name, Account.arr, churned_on)
            .join(Contact, Contact.id == MilestoneAsk.contact_id)
            .join(Account, Account.id == Contact.account_id)
            .where(MilestoneAsk.milestone == CHURN)
            .group_by(Account.id, Account.name, Account.arr)
            .having(churned_on >= start, churned_on < end)
        )
    ).all()
    found = []
    for account_id, name, arr, day in rows:
        found.append(Churned(name, day, arr, await _last_scores(session, int(account_id))))
    return sorted(found, key=lambda c: (-(c.arr or 0), c.account))


async def _last_scores(session: AsyncSession, account_id: int) -> dict[str, int]:
    latest = (
        select(Response.kind, func.max(Response.answered_at).label("at"))
        .where(Response.account_id == account_id)
        .group_by(Response.kind)
        .subquery()
    )
    rows = await session.execute(
        select(Response.kind, Response.score, Response.id)
        .join(latest, (latest.c.kind == Response.kind) & (latest.c.at == Response.answered_at))
        .where(Response.account_id == account_id)
        .order_by(Response.id)
    )
    return {kind: int(score) for kind, score, _id in rows.all() if score is not None}


async def claim(
    *, session: AsyncSession, key: str, now: datetime, lease: timedelta
) -> tuple[bool, bool]:
    """(claimed, retried): take the period's post unless it is posted or held by another;
    `retried` when an earlier claim's lease ran out (its post may already be in Slack)."""
    if await insert_ignoring_duplicates(
        session, ReportRun, {"key": key, "lease_until": now + lease}
    ):
        return True, False
    result = await session.execute(
        update(ReportRun)
        .where(
            ReportRun.key == key,
            ReportRun.posted_at.is_(None),
            or_(ReportRun.lease_until.is_(None), ReportRun.lease_until < now),
        )
        .values(lease_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount), True  # type: ignore[attr-defined]  # DML gives a CursorResult


async def mark_posted(
    *, session: AsyncSession, key: str, channel: str, ts: str, now: datetime
) -> None:
    await session.execute(
        update(ReportRun)
        .where(ReportRun.key == key)
        .values(channel=channel, message_ts=ts, posted_at=now, lease_until=None, error=None)
        .execution_options(synchronize_session=False)
    )


async def record_error(*, session: AsyncSession, key: str, error: str) -> None:
    await session.execute(
        update(ReportRun)
        .where(ReportRun.key == key)
        .values(error=error[:200])
        .execution_options(synchronize_session=False)
    )
