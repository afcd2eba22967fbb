"""Queries over responses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Invitation, Response


async def record_response(
    *,
    session: AsyncSession,
    invitation: Invitation,
    account_id: int,
    score: int,
    category: str,
    now: datetime,
) -> Response:
    """Insert the one response of an invitation (the unique key refuses a second)."""
    assert invitation.id is not None
    response = Response(
        invitation_id=invitation.id,
        contact_id=invitation.contact_id,
        account_id=account_id,
        kind=invitation.kind,
        score=score,
        category=category,
        answered_at=now,
    )
    session.add(response)
    await session.flush()
    return response


async def get_for_invitation(*, session: AsyncSession, invitation_id: int) -> Response | None:
    result = await session.execute(select(Response).where(Response.invitation_id == invitation_id))
    return result.scalar_one_or_none()


async def set_comment(
    *, session: AsyncSession, invitation_id: int, comment: str | None, now: datetime
) -> bool:
    result = await session.execute(
        update(Response)
        .where(Response.invitation_id == invitation_id)
        .values(comment=comment, commented_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def previous_score(
    *, session: AsyncSession, contact_id: int, kind: str, before: datetime
) -> int | None:
    """The contact's last score of this kind before `before` (shown on follow-up cards)."""
    result = await session.execute(
        select(Response.score)
        .where(
            Response.contact_id == contact_id,
            Response.kind == kind,
            Response.answered_at < before,
        )
        .order_by(Response.answered_at.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()

