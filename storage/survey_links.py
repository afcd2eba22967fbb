"""Queries over survey links: the hashed tokens in survey emails, and what they open."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Contact, Invitation, SurveyLink


async def add_link(
    *, session: AsyncSession, token_hash: str, invitation_id: int, purpose: str, now: datetime
) -> None:
    session.add(
        SurveyLink(
            token_hash=token_hash, invitation_id=invitation_id, purpose=purpose, created_at=now
        )
    )
    await session.flush()


async def has_link(*, session: AsyncSession, invitation_id: int, purpose: str) -> bool:
    """Whether a link of `purpose` was written for the invitation (its email may have left)."""
    found = await session.execute(
        select(SurveyLink.id).where(
            SurveyLink.invitation_id == invitation_id, SurveyLink.purpose == purpose
        )
    )
    return found.first() is not None


async def find(*, session: AsyncSession, token_hash: str) -> tuple[Invitation, Contact] | None:
    """The invitation and contact a link token opens, if any."""
    rows = await session.execute(
        select(Invitation, Contact)
        .join(SurveyLink, SurveyLink.invitation_id == Invitation.id)
        .join(Contact, Contact.id == Invitation.contact_id)
        .where(SurveyLink.token_hash == token_hash)
        .execution_options(populate_existing=True)
    )
    row = rows.first()
    return (row[0], row[1]) if row else None


async def remove(*, session: AsyncSession, token_hash: str) -> None:
    """Forget a link whose email the SMTP server refused: it never left."""
    await session.execute(delete(SurveyLink).where(SurveyLink.token_hash == token_hash))
