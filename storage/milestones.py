"""Queries over milestone asks (the surveys milestones owe) and exit-survey answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.claims import claimable
from storage.models import Account, Contact, ExitAnswer, MilestoneAsk


async def add_ask(
    *,
    session: AsyncSession,
    contact_id: int,
    milestone: str,
    day: int,
    anchor: date,
    key: str,
    kind: str,
    due_at: datetime,
    now: datetime,
) -> MilestoneAsk | None:
    """Record one ask; None when the contact already has one with this key."""
    ask = MilestoneAsk(
        contact_id=contact_id,
        milestone=milestone,
        day=day,
        anchor=anchor,
        key=key,
        kind=kind,
        due_at=due_at,
        created_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(ask)
            await session.flush()
    except IntegrityError:
        return None
    return ask


async def claim_due(
    *, session: AsyncSession, now: datetime, lease: timedelta, limit: int
) -> list[MilestoneAsk]:
    """Take up to `limit` due asks without an invitation, each leased until now + lease."""
    where = and_(
        MilestoneAsk.invitation_id.is_(None),
        MilestoneAsk.due_at <= now,
        or_(MilestoneAsk.lease_until.is_(None), MilestoneAsk.lease_until < now),
    )
    result = await session.execute(
        update(MilestoneAsk)
        .where(
            MilestoneAsk.id.in_(
                claimable(MilestoneAsk.id, where, MilestoneAsk.due_at, limit=limit)
            ),
            where,
        )
        .values(lease_until=now + lease)
        .returning(MilestoneAsk.id)
        .execution_options(synchronize_session=False)
    )
    ids = [row[0] for row in result.all()]
    if not ids:
        return []
    rows = await session.execute(
        select(MilestoneAsk)
        .where(MilestoneAsk.id.in_(ids))
        .order_by(MilestoneAsk.id)
        .execution_options(populate_existing=True)
    )
    return list(rows.scalars())


async def link_invitation(
    *, session: AsyncSession, ask_id: int, invitation_id: int, now: datetime
) -> bool:
    """Link the ask to its invitation if no one did meanwhile; True when this call did."""
    result = await session.execute(
        update(MilestoneAsk)
        .where(MilestoneAsk.id == ask_id, MilestoneAsk.invitation_id.is_(None))
        .values(invitation_id=invitation_id, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def asks_of(*, session: AsyncSession, contact_id: int) -> list[MilestoneAsk]:
    query = (
        select(MilestoneAsk)
        .where(MilestoneAsk.contact_id == contact_id)
        .order_by(MilestoneAsk.due_at, MilestoneAsk.id)
    )
    return list((await session.execute(query)).scalars())


async def contacts_of_account(*, session: AsyncSession, account_id: int) -> list[Contact]:
    query = select(Contact).where(Contact.account_id == account_id).order_by(Contact.id)
    return list((await session.execute(query)).scalars())


async def recent_customers(
    *, session: AsyncSession, contact_ids: Sequence[int], since: date
) -> list[tuple[Contact, date]]:
    """The contacts (of those given) whose account became a customer on or after `since`."""
    if not contact_ids:
        return []
    query = (
        select(Contact, Account.customer_since)
        .join(Account, Account.id == Contact.account_id)
        .where(Contact.id.in_(contact_ids), Account.customer_since >= since)
        .order_by(Contact.id)
    )
    return [(contact, since_date) for contact, since_date in (await session.execute(query)).all()]


async def add_exit_answer(*, session: AsyncSession, answer: ExitAnswer) -> ExitAnswer | None:
    """Store an exit answer; None when the invitation already has one."""
    try:
        async with session.begin_nested():
            session.add(answer)
            await session.flush()
    except IntegrityError:
        return None
    return answer


async def exit_answer_for(*, session: AsyncSession, invitation_id: int) -> ExitAnswer | None:
    query = select(ExitAnswer).where(ExitAnswer.invitation_id == invitation_id)
    return (await session.execute(query)).scalar_one_or_none()


async def mark_csm_notified(*, session: AsyncSession, answer_id: int, now: datetime) -> bool:
    """Mark the answer's CSM notice as taken; False when another process took it first."""
    result = await session.execute(
        update(ExitAnswer)
        .where(ExitAnswer.id == answer_id, ExitAnswer.csm_notified_at.is_(None))
        .values(csm_notified_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
