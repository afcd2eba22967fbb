"""Queries over follow-up cases and promoters' advocacy.

Claims are single conditional UPDATEs (with `FOR UPDATE SKIP LOCKED` candidates on
PostgreSQL), so two people, two processes or two schedulers never win the same step.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.vocabulary import HEALTH_CASE
from storage.claims import claimable
from storage.models import Account, Advocacy, CaseLog, Contact, FollowUpCase, Response

C = FollowUpCase


async def open_case(
    *,
    session: AsyncSession,
    response_id: int,
    invitation_id: int,
    contact_id: int,
    account_id: int,
    kind: str,
    score: int,
    review: str,
    opened_at: datetime,
    escalate_at: datetime,
) -> int:
    """Insert the one case of a response (the unique key refuses a second); its id."""
    result = await session.execute(
        insert(C)
        .values(
            response_id=response_id,
            invitation_id=invitation_id,
            contact_id=contact_id,
            account_id=account_id,
            kind=kind,
            score=score,
            review=review,
            opened_at=opened_at,
            next_escalation_at=escalate_at,
        )
        .returning(C.id)
    )
    return result.scalar_one()


async def open_health_case(
    *,
    session: AsyncSession,
    account_id: int,
    score: int,
    change: int | None,
    why: str,
    review: str,
    opened_at: datetime,
    escalate_at: datetime,
) -> int | None:
    """Insert an account's health case; None when one is already open (the partial unique
    index `uq_cases_open_health` refuses a second, whichever process inserts it)."""
    dialect = session.get_bind().dialect.name
    upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = await session.execute(
        upsert(C)
        .values(
            account_id=account_id,
            kind=HEALTH_CASE,
            score=score,
            health_change=change,
            why=why,
            review=review,
            opened_at=opened_at,
            next_escalation_at=escalate_at,
        )
        .on_conflict_do_nothing()
        .returning(C.id)
    )
    return result.scalar_one_or_none()


async def health_case_accounts(
    *, session: AsyncSession, account_ids: list[int], since: datetime
) -> set[int]:
    """Of these accounts, those with an open health case or one opened since a moment."""
    result = await session.execute(
        select(C.account_id).where(
            C.kind == HEALTH_CASE,
            C.account_id.in_(account_ids),
            or_(C.closed_at.is_(None), C.opened_at >= since),
        )
    )
    return set(result.scalars())


async def case_for_invitation(*, session: AsyncSession, invitation_id: int) -> int | None:
    result = await session.execute(select(C.id).where(C.invitation_id == invitation_id))
    return result.scalar_one_or_none()


async def claim_card_post(
    *, session: AsyncSession, case_id: int, now: datetime, lease: timedelta
) -> bool:
    """Take the right to post this case's card (none posted, nobody else posting)."""
    result = await session.execute(
        update(C)
        .where(C.id == case_id, _card_pending(now))
        .values(card_lease_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]  # DML gives a CursorResult


async def card_attempted(*, session: AsyncSession, case_id: int) -> bool:
    """True when someone already tried to post this case's card (it may be in Slack)."""
    result = await session.execute(select(C.card_lease_until).where(C.id == case_id))
    return result.scalar_one_or_none() is not None


async def pending_cards(*, session: AsyncSession, now: datetime, limit: int) -> list[int]:
    """Cases whose card was never posted (Slack was down, or the poster died)."""
    result = await session.execute(
        select(C.id).where(_card_pending(now)).order_by(C.id).limit(limit)
    )
    return list(result.scalars())


async def set_card(*, session: AsyncSession, case_id: int, channel: str, ts: str) -> None:
    await session.execute(
        update(C)
        .where(C.id == case_id)
        .values(channel=channel, message_ts=ts, card_lease_until=None)
        .execution_options(synchronize_session=False)
    )


async def claim(*, session: AsyncSession, case_id: int, user_id: str, now: datetime) -> bool:
    """Make `user_id` the owner unless someone already is."""
    return await _change(
        session, case_id, and_(C.claimed_by.is_(None)), {"claimed_by": user_id, "claimed_at": now}
    )


async def release(*, session: AsyncSession, case_id: int, owner: str) -> bool:
    """Give the case back, if `owner` still has it (who may is `bot/domain/roles.py`'s rule)."""
    return await _change(
        session, case_id, and_(C.claimed_by == owner), {"claimed_by": None, "claimed_at": None}
    )


async def log_follow_up(
    *,
    session: AsyncSession,
    case_id: int,
    user_id: str,
    outcome: str,
    note: str,
    now: datetime,
    closes: bool,
) -> bool:
    """Record the follow-up; the first one also fixes the time it took (for the 48h rate)."""
    case = await session.get(C, case_id, with_for_update=True)
    if case is None:
        return False
    case.outcome, case.note, case.logged_by, case.logged_at = outcome, note, user_id, now
    if case.first_logged_at is None:
        case.first_logged_at = now
        case.follow_up_seconds = int((now - case.opened_at).total_seconds())
    if case.claimed_by is None:
        case.claimed_by, case.claimed_at = user_id, now
    if closes:
        case.closed_at = now
    elif case.closed_at is not None and not await _another_open_health_case(session, case):
        case.closed_at = None  # reopened (a health case only if its account has no other)
    case.next_escalation_at = None
    session.add(
        CaseLog(case_id=case_id, user_id=user_id, outcome=outcome, note=note, logged_at=now)
    )
    await session.flush()
    return True


async def follow_up_count(*, session: AsyncSession, case_id: int) -> int:
    """How many follow-ups were logged on the case."""
    result = await session.execute(select(func.count(CaseLog.id)).where(CaseLog.case_id == case_id))
    return int(result.scalar_one())


async def history(*, session: AsyncSession, case_id: int) -> list[CaseLog]:
    """Every follow-up logged on the case, oldest first."""
    result = await session.execute(
        select(CaseLog).where(CaseLog.case_id == case_id).order_by(CaseLog.id)
    )
    return list(result.scalars())


async def claim_escalations(
    *, session: AsyncSession, now: datetime, every: timedelta, max_steps: int, limit: int = 100
) -> list[tuple[int, int]]:
    """Advance every overdue, unlogged case by one escalation step; (case id, step) pairs."""
    due = and_(
        C.logged_at.is_(None),
        C.next_escalation_at.is_not(None),
        C.next_escalation_at <= now,
        C.escalations < max_steps,
        C.message_ts.is_not(None),
    )
    candidates = claimable(C.id, due, C.next_escalation_at, limit=limit)
    result = await session.execute(
        update(C)
        .where(C.id.in_(candidates), due)
        .values(escalations=C.escalations + 1, next_escalation_at=now + every)
        .returning(C.id, C.escalations)
        .execution_options(synchronize_session=False)
    )
    return [(row[0], row[1]) for row in result.all()]


async def card_row(*, session: AsyncSession, case_id: int) -> Any | None:
    """Everything the card shows: the case, its response, contact and account (a health
    case has no response nor contact: None for those)."""
    result = await session.execute(
        select(C, Response, Contact, Account)
        .outerjoin(Response, Response.id == C.response_id)
        .outerjoin(Contact, Contact.id == C.contact_id)
        .join(Account, Account.id == C.account_id)
        .where(C.id == case_id)
    )
    return result.one_or_none()


async def record_advocacy(
    *, session: AsyncSession, response_id: int, contact_id: int, offer: str, now: datetime
) -> bool:
    """Store a promoter's yes; False when it was already stored (a double tap)."""
    try:
        async with session.begin_nested():
            await session.execute(
                insert(Advocacy).values(
                    response_id=response_id, contact_id=contact_id, offer=offer, accepted_at=now
                )
            )
    except IntegrityError:
        return False
    return True


async def mark_csm_told(
    *, session: AsyncSession, response_id: int, offer: str, now: datetime
) -> None:
    await session.execute(
        update(Advocacy)
        .where(Advocacy.response_id == response_id, Advocacy.offer == offer)
        .values(csm_notified_at=now)
        .execution_options(synchronize_session=False)
    )


async def advocacy_offers(*, session: AsyncSession, response_id: int) -> list[str]:
    result = await session.execute(
        select(Advocacy.offer).where(Advocacy.response_id == response_id).order_by(Advocacy.id)
    )
    return list(result.scalars())


async def _another_open_health_case(session: AsyncSession, case: FollowUpCase) -> bool:
    if case.kind != HEALTH_CASE:
        return False
    found = await session.scalar(
        select(func.count(C.id)).where(
            C.kind == HEALTH_CASE,
            C.account_id == case.account_id,
            C.closed_at.is_(None),
            C.id != case.id,
        )
    )
    return bool(found)


def _card_pending(now: datetime) -> Any:
    return and_(C.message_ts.is_(None), (C.card_lease_until.is_(None)) | (C.card_lease_until < now))


async def _change(session: AsyncSession, case_id: int, guard: Any, values: dict[str, Any]) -> bool:
    result = await session.execute(
        update(C)
        .where(C.id == case_id, guard)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]  # DML gives a CursorResult
