"""Queries over responses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.records import NewResponse
from storage.models import Response


async def record_response(
    *,
    session: AsyncSession,
    invitation_id: int,
    contact_id: int,
    account_id: int,
    kind: str,
    score: int,
    category: str,
    now: datetime,
) -> int:
    """Insert the one response of an invitation (the unique key refuses a second); its id."""
    row = NewResponse(invitation_id, contact_id, account_id, kind, score, category, now)
    return (await record_responses(session=session, rows=[row]))[invitation_id]


async def record_responses(*, session: AsyncSession, rows: Sequence[NewResponse]) -> dict[int, int]:
    """Insert the responses in one multi-row INSERT; each one's id by its invitation id.

    The unique key on `invitation_id` refuses a second response to an invitation, and with
    it the whole statement.
    """
    if not rows:
        return {}
    result = await session.execute(
        insert(Response)
        .values([asdict(row) for row in rows])
        .returning(Response.invitation_id, Response.id)
    )
    return {invitation_id: response_id for invitation_id, response_id in result.all()}


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
    return bool(result.rowcount)  # type: ignore[attr-defined]  # DML gives a CursorResult


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


async def choose_theme(*, session: AsyncSession, invitation_id: int, theme: str) -> bool:
    """Keep the theme a respondent chose, unless one was chosen before; True when kept."""
    result = await session.execute(
        update(Response)
        .where(Response.invitation_id == invitation_id, Response.chosen_theme.is_(None))
        .values(chosen_theme=theme)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]  # DML gives a CursorResult
