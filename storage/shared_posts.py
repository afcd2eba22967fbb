"""Queries for surveys asked in an account's shared channel (one post, several people)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.vocabulary import DeliveryChannel, InvitationStatus
from storage.claims import claimable
from storage.invitations import with_contacts
from storage.models import Account, Contact, Invitation

S = InvitationStatus


async def claim_channel_due(
    *, session: AsyncSession, now: datetime, lease: timedelta, limit: int
) -> list[tuple[Invitation, Contact]]:
    """Move due invitations bound for a shared channel to `sending`, leased until now + lease."""
    where = and_(
        Invitation.status == S.SCHEDULED,
        Invitation.channel == DeliveryChannel.SLACK_CHANNEL,
        Invitation.due_at <= now,
    )
    result = await session.execute(
        update(Invitation)
        .where(Invitation.id.in_(claimable(Invitation.id, where, Invitation.due_at, limit=limit)))
        .where(where)
        .values(
            status=S.SENDING,
            lease_until=now + lease,
            sending_since=now,
            attempts=Invitation.attempts + 1,
        )
        .returning(Invitation.id)
        .execution_options(synchronize_session=False)
    )
    return await with_contacts(session=session, ids=[row[0] for row in result.all()])


async def shared_channel_of(*, session: AsyncSession, contact_id: int) -> str | None:
    """The Slack Connect channel of the contact's account, if it has one."""
    result = await session.execute(
        select(Account.slack_channel)
        .join(Contact, Contact.account_id == Account.id)
        .where(Contact.id == contact_id)
    )
    return result.scalar_one_or_none()


async def post_invitations(
    *, session: AsyncSession, ids: Sequence[int]
) -> list[tuple[Invitation, Contact]]:
    """The invitations one shared-channel post asks, with their contacts, by id."""
    return await with_contacts(session=session, ids=ids)


async def ids_of_post(*, session: AsyncSession, channel: str, message_ts: str) -> list[int]:
    """The invitations one shared-channel post asks, found by where the post is."""
    result = await session.execute(
        select(Invitation.id)
        .where(
            Invitation.dm_channel == channel,
            Invitation.message_ts == message_ts,
            Invitation.channel == DeliveryChannel.SLACK_CHANNEL,
        )
        .order_by(Invitation.id)
    )
    return [row[0] for row in result.all()]


async def asked_in_channel_last_time(*, session: AsyncSession) -> set[int]:
    """Contacts whose latest delivered survey went to their account's shared channel."""
    latest = (
        select(func.max(Invitation.id).label("id"))
        .where(Invitation.sent_at.is_not(None))
        .group_by(Invitation.contact_id)
        .subquery()
    )
    result = await session.execute(
        select(Invitation.contact_id)
        .join(latest, latest.c.id == Invitation.id)
        .where(Invitation.channel == DeliveryChannel.SLACK_CHANNEL)
    )
    return {row[0] for row in result.all()}
