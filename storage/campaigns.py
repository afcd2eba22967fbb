"""Queries of campaigns: each `send`'s invitations, and an autopilot's, counted and changed.

A campaign's invitations carry its id; an autopilot's are the ones its asks link to
(storage/autopilot.py). Only `scheduled` rows are cancelled or moved: a row being sent is
under a lease (storage/claims.py) and is left to finish.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.figures import Figures
from bot.domain.vocabulary import InvitationStatus, SkipReason
from storage.models import AutopilotAsk, Campaign, Contact, Invitation

S = InvitationStatus
GONE_OUT = (S.SENDING, S.SENT, S.REMINDED, S.ANSWERED, S.EXPIRED)


def of_campaign(campaign_id: int) -> ColumnElement[bool]:
    return Invitation.campaign_id == campaign_id


def of_autopilot(autopilot_id: int) -> ColumnElement[bool]:
    own = select(AutopilotAsk.invitation_id).where(
        AutopilotAsk.autopilot_id == autopilot_id, AutopilotAsk.invitation_id.is_not(None)
    )
    return Invitation.id.in_(own)


async def create(
    *, session: AsyncSession, kind: str, audience: str, by: str | None, now: datetime
) -> Campaign:
    campaign = Campaign(kind=kind, audience=audience[:200], created_by=by, created_at=now)
    session.add(campaign)
    await session.flush()
    return campaign


async def all_campaigns(*, session: AsyncSession) -> list[Campaign]:
    rows = await session.execute(select(Campaign).order_by(Campaign.id))
    return list(rows.scalars())


async def figures(*, session: AsyncSession, where: ColumnElement[bool]) -> Figures:
    rows = await session.execute(
        select(
            Invitation.status,
            Invitation.skip_reason,
            func.count(Invitation.id),
            func.min(Invitation.due_at),
            func.max(Invitation.due_at),
        )
        .where(where)
        .group_by(Invitation.status, Invitation.skip_reason)
    )
    found = Figures()
    for status, reason, count, first, last in rows.all():
        found.created += count
        if status == S.SKIPPED:
            found.skipped[reason or "other"] = found.skipped.get(reason or "other", 0) + count
        elif status == S.FAILED:
            found.failed += count
        elif status == S.RESOLVING:
            found.resolving += count
        elif status == S.SCHEDULED:
            found.scheduled += count
            found.next_due, found.last_due = first, last
        else:
            found.sent += count
            found.answered += count if status == S.ANSWERED else 0
    return found


async def cancel_scheduled(
    *, session: AsyncSession, where: ColumnElement[bool], now: datetime
) -> int:
    """Skip, as cancelled, what has not gone out; how many."""
    result = await session.execute(
        update(Invitation)
        .where(where, Invitation.status.in_((S.SCHEDULED, S.RESOLVING)))
        .values(status=S.SKIPPED, skip_reason=SkipReason.CANCELLED, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]  # DML gives a CursorResult


async def scheduled_with_zones(
    *, session: AsyncSession, where: ColumnElement[bool]
) -> list[tuple[int, str | None]]:
    """(invitation id, the contact's time zone) of each row not yet gone out."""
    rows = await session.execute(
        select(Invitation.id, Contact.tz)
        .join(Contact, Contact.id == Invitation.contact_id)
        .where(where, Invitation.status == S.SCHEDULED)
    )
    return [(invitation_id, tz) for invitation_id, tz in rows.all()]


async def move(*, session: AsyncSession, invitation_id: int, due_at: datetime) -> bool:
    """A new due time for a row still `scheduled`; False when it went out meanwhile."""
    result = await session.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.status == S.SCHEDULED)
        .values(due_at=due_at)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]  # DML gives a CursorResult
