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
    return bool(result.rowcount)  # type: ignore[attr-defined]  # DML gives a CursorResult


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
    rows = (await session.execute(query)).all()
    # customer_since is never None here: the WHERE compares it
    return [(contact, since_date) for contact, since_date in rows if since_date is not None]


async def add_exit_answer(*, session: AsyncSession, answer: ExitAnswer) -> ExitAnswer | None:
    """Store an exit answer; None when the invitation already has one."""
    try:
        async with session.begin_nested():
            session.add(answer)
            await session.flush()
    except IntegrityError:
        return None
    return answer


async def exit_answer_of(*, session: AsyncSession, invitation_id: int) -> ExitAnswer | None:
    """The exit answer given to an invitation, if any."""
    return await session.scalar(select(ExitAnswer).where(ExitAnswer.invitation_id == invitation_id))


async def claim_exit_notices(
    *,
    session: AsyncSession,
    now: datetime,
    lease: timedelta,
    answer_ids: Sequence[int] | None = None,
    limit: int = 50,
) -> list[tuple[ExitAnswer, bool]]:
    """Take exit answers whose CSM copy is not posted, refused or held by another process.

    Returns (answer, retried) pairs: `retried` when an earlier claim's lease ran out, so the
    copy may already be in Slack (the process died between posting and recording it).
    """
    takeable = and_(
        ExitAnswer.csm_notified_at.is_(None),
        ExitAnswer.csm_error.is_(None),
        or_(ExitAnswer.csm_lease_until.is_(None), ExitAnswer.csm_lease_until < now),
    )
    if answer_ids is not None:
        takeable = and_(takeable, ExitAnswer.id.in_(answer_ids))
    query = select(ExitAnswer.id, ExitAnswer.csm_lease_until).where(takeable).limit(limit)
    claimed: list[tuple[ExitAnswer, bool]] = []
    for answer_id, earlier_lease in (await session.execute(query.order_by(ExitAnswer.id))).all():
        result = await session.execute(
            update(ExitAnswer)
            .where(ExitAnswer.id == answer_id, takeable)
            .values(csm_lease_until=now + lease)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount:  # type: ignore[attr-defined]  # DML gives a CursorResult
            answer = await session.get(ExitAnswer, answer_id, populate_existing=True)
            assert answer is not None
            claimed.append((answer, earlier_lease is not None))
    return claimed


async def finish_exit_notice(
    *, session: AsyncSession, answer_id: int, now: datetime, error: str | None
) -> None:
    """Record the CSM's copy as posted, or the Slack error that refused it (not retried)."""
    values: dict[str, object] = {"csm_lease_until": None}
    values |= {"csm_error": error[:200]} if error else {"csm_notified_at": now}
    await session.execute(
        update(ExitAnswer)
        .where(ExitAnswer.id == answer_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def notice_parts(
    *, session: AsyncSession, answer: ExitAnswer
) -> tuple[Contact, Account] | None:
    """The contact and account an exit answer is about."""
    row = (
        await session.execute(
            select(Contact, Account)
            .join(Account, Account.id == Contact.account_id)
            .where(Contact.id == answer.contact_id)
        )
    ).one_or_none()
    return (row[0], row[1]) if row else None
