"""Queries of the autopilot: its rows, claiming a planning pass, and each period's asks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.records import Member
from bot.domain.vocabulary import AutopilotStatus, InvitationStatus, Trigger
from storage.claims import claimable
from storage.invitations import COUNTS_FOR_FATIGUE
from storage.models import Account, Autopilot, AutopilotAsk, Contact, Invitation


async def create(
    *,
    session: AsyncSession,
    kind: str,
    segment: str | None,
    every_days: int,
    anchor: date,
    now: datetime,
    created_by: str | None,
    sample: str | None = None,
    quarter_week: int | None = None,
) -> Autopilot:
    autopilot = Autopilot(
        sample=sample,
        quarter_week=quarter_week,
        kind=kind,
        segment=segment,
        every_days=every_days,
        anchor=anchor,
        status=AutopilotStatus.ACTIVE,
        next_plan_at=now,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    session.add(autopilot)
    await session.flush()
    return autopilot


async def all_autopilots(*, session: AsyncSession) -> list[Autopilot]:
    rows = await session.execute(select(Autopilot).order_by(Autopilot.id))
    return list(rows.scalars())


async def running(*, session: AsyncSession, kind: str, segment: str | None) -> Autopilot | None:
    """The active or paused autopilot of this kind and segment, if there is one."""
    rows = await session.execute(
        select(Autopilot).where(
            Autopilot.kind == kind,
            Autopilot.segment.is_(None) if segment is None else Autopilot.segment == segment,
            Autopilot.status != AutopilotStatus.STOPPED,
        )
    )
    return rows.scalars().first()


async def get(*, session: AsyncSession, autopilot_id: int) -> Autopilot | None:
    return await session.get(Autopilot, autopilot_id)


async def set_status(
    *, session: AsyncSession, autopilot_id: int, status: str, now: datetime
) -> None:
    await session.execute(
        update(Autopilot)
        .where(Autopilot.id == autopilot_id)
        .values(status=status, updated_at=now, next_plan_at=now)
        .execution_options(synchronize_session=False)
    )


async def claim_plannable(
    *, session: AsyncSession, now: datetime, every: timedelta
) -> list[Autopilot]:
    """Active autopilots whose planning is due; each is taken by one process until `every`."""
    where = and_(Autopilot.status == AutopilotStatus.ACTIVE, Autopilot.next_plan_at <= now)
    result = await session.execute(
        update(Autopilot)
        .where(Autopilot.id.in_(claimable(Autopilot.id, where, Autopilot.id, limit=20)), where)
        .values(next_plan_at=now + every)
        .returning(Autopilot.id)
        .execution_options(synchronize_session=False)
    )
    ids = [row[0] for row in result.all()]
    if not ids:
        return []
    rows = await session.execute(
        select(Autopilot).where(Autopilot.id.in_(ids)).order_by(Autopilot.id)
    )
    return list(rows.scalars())


async def members(*, session: AsyncSession, segment: str | None) -> list[Member]:
    """Every contact the autopilot covers today (new contacts join by being here; those
    the CRM archived or deleted leave)."""
    query = (
        select(Contact.id, Contact.tz, Contact.opted_out, Account.segment)
        .join(Account, Account.id == Contact.account_id)
        .where(Contact.active)
    )
    if segment:
        query = query.where(Account.segment == segment)
    rows = await session.execute(query.order_by(Contact.id))
    return [Member(id, tz, opted_out, seg) for id, tz, opted_out, seg in rows.all()]


async def asked(
    *, session: AsyncSession, autopilot_id: int, periods: Iterable[int]
) -> set[tuple[int, int]]:
    """(contact id, period) of every ask already made in these periods."""
    rows = await session.execute(
        select(AutopilotAsk.contact_id, AutopilotAsk.period).where(
            AutopilotAsk.autopilot_id == autopilot_id, AutopilotAsk.period.in_(list(periods))
        )
    )
    return {(contact_id, period) for contact_id, period in rows.all()}


async def last_surveyed_elsewhere(
    *, session: AsyncSession, autopilot_id: int, contact_ids: Sequence[int]
) -> dict[int, datetime]:
    """Each contact's newest relationship survey that counts for fatigue, leaving out this
    autopilot's own asks (its period already keeps those apart)."""
    own = select(AutopilotAsk.invitation_id).where(
        AutopilotAsk.autopilot_id == autopilot_id, AutopilotAsk.invitation_id.is_not(None)
    )
    found: dict[int, datetime] = {}
    for start in range(0, len(contact_ids), 500):
        chunk = list(contact_ids[start : start + 500])
        rows = await session.execute(
            select(Invitation.contact_id, func.max(Invitation.created_at))
            .where(
                Invitation.contact_id.in_(chunk),
                Invitation.trigger == Trigger.RELATIONSHIP,
                Invitation.status.in_(COUNTS_FOR_FATIGUE),
                Invitation.id.not_in(own),
            )
            .group_by(Invitation.contact_id)
        )
        found.update({contact_id: last for contact_id, last in rows.all()})
    return found


async def take_turn(
    *, session: AsyncSession, autopilot_id: int, contact_id: int, period: int, now: datetime
) -> int | None:
    """Record the contact's ask for the period; None when some process already did."""
    try:
        async with session.begin_nested():
            result = await session.execute(
                insert(AutopilotAsk)
                .values(
                    autopilot_id=autopilot_id, contact_id=contact_id, period=period, created_at=now
                )
                .returning(AutopilotAsk.id)
            )
            return int(result.scalar_one())
    except IntegrityError:
        return None


async def link_invitation(*, session: AsyncSession, ask_id: int, invitation_id: int) -> None:
    await session.execute(
        update(AutopilotAsk)
        .where(AutopilotAsk.id == ask_id)
        .values(invitation_id=invitation_id)
        .execution_options(synchronize_session=False)
    )


async def skip_scheduled(
    *, session: AsyncSession, autopilot_id: int, reason: str, now: datetime
) -> int:
    """Skip the autopilot's invitations that have not gone out yet; how many."""
    own = select(AutopilotAsk.invitation_id).where(
        AutopilotAsk.autopilot_id == autopilot_id, AutopilotAsk.invitation_id.is_not(None)
    )
    result = await session.execute(
        update(Invitation)
        .where(Invitation.id.in_(own), Invitation.status == InvitationStatus.SCHEDULED)
        .values(status=InvitationStatus.SKIPPED, skip_reason=reason, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]  # DML gives a CursorResult


async def outcomes(*, session: AsyncSession, autopilot_id: int) -> Counter[str]:
    """The autopilot's invitations by status, and skipped ones by reason ("skipped: …")."""
    rows = await session.execute(
        select(Invitation.status, Invitation.skip_reason, func.count(Invitation.id))
        .join(AutopilotAsk, AutopilotAsk.invitation_id == Invitation.id)
        .where(AutopilotAsk.autopilot_id == autopilot_id)
        .group_by(Invitation.status, Invitation.skip_reason)
    )
    counts: Counter[str] = Counter()
    for status, reason, count in rows.all():
        counts[f"skipped: {reason}" if status == InvitationStatus.SKIPPED else status] += count
    return counts
