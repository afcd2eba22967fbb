"""Queries over survey links: the hashed tokens in survey emails, and what they open."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Contact, Invitation, SurveyLink


async def add_link(
    *,
    session: AsyncSession,
    token_hash: str,
    invitation_id: int,
    purpose: str,
    now: datetime,
    message_id: str | None = None,
    pending_token: str | None = None,
    unanswered: int = 0,
) -> SurveyLink:
    """A link row; a survey email's keeps its token and Message-ID until SMTP answers."""
    link = SurveyLink(
        token_hash=token_hash,
        invitation_id=invitation_id,
        purpose=purpose,
        created_at=now,
        message_id=message_id,
        pending_token=pending_token,
        unanswered=unanswered,
    )
    session.add(link)
    await session.flush()
    return link


async def get_link(*, session: AsyncSession, invitation_id: int, purpose: str) -> SurveyLink | None:
    """The invitation's link of `purpose` (a survey email has one), fresh from the database."""
    found = await session.execute(
        select(SurveyLink)
        .where(SurveyLink.invitation_id == invitation_id, SurveyLink.purpose == purpose)
        .order_by(SurveyLink.id)
        .execution_options(populate_existing=True)
    )
    return found.scalars().first()


async def handed(*, session: AsyncSession, link_id: int) -> None:
    """The email is being handed to SMTP: one more hand-over whose answer is not known yet."""
    await session.execute(
        update(SurveyLink)
        .where(SurveyLink.id == link_id)
        .values(unanswered=SurveyLink.unanswered + 1)
        .execution_options(synchronize_session=False)
    )


async def accepted(*, session: AsyncSession, link_id: int, now: datetime) -> None:
    """The SMTP server accepted the email: its token is no longer kept in the clear."""
    await session.execute(
        update(SurveyLink)
        .where(SurveyLink.id == link_id)
        .values(accepted_at=now, pending_token=None, unanswered=0)
        .execution_options(synchronize_session=False)
    )


async def refused(*, session: AsyncSession, link_id: int, keep_token: bool) -> None:
    """The SMTP server refused this hand-over (it did not leave).

    A link no earlier hand-over may have carried is deleted; otherwise it stays (an email
    carrying it may have arrived), keeping its token only when the email is to be retried.
    """
    await session.execute(
        update(SurveyLink)
        .where(SurveyLink.id == link_id, SurveyLink.unanswered > 0)
        .values(unanswered=SurveyLink.unanswered - 1)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        delete(SurveyLink).where(
            SurveyLink.id == link_id,
            SurveyLink.unanswered == 0,
            SurveyLink.accepted_at.is_(None),
        )
    )
    if not keep_token:
        await settled(session=session, link_id=link_id)


async def settled(*, session: AsyncSession, link_id: int) -> None:
    """No more retries of this email: its token is no longer kept in the clear."""
    await session.execute(
        update(SurveyLink)
        .where(SurveyLink.id == link_id)
        .values(pending_token=None)
        .execution_options(synchronize_session=False)
    )


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
