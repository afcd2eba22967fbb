"""Queries only the leadership reports need: churned accounts with their last scores (the
reports' runs, posted once a period, are `storage/post_runs.py`)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.leadership import Churned
from bot.domain.milestones import CHURN
from storage.models import Account, Contact, MilestoneAsk, Response


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
