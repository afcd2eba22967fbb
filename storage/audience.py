"""Which contacts a campaign reaches."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Account, Contact


async def campaign_contacts(
    *,
    session: AsyncSession,
    segment: str | None = None,
    account_key: str | None = None,
    email: str | None = None,
) -> list[tuple[Contact, Account]]:
    """Contacts (with their account) filtered by segment, account name key and email."""
    query = select(Contact, Account).join(Account, Account.id == Contact.account_id)
    if segment:
        query = query.where(Account.segment == segment)
    if account_key:
        query = query.where(Account.name_key == account_key)
    if email:
        query = query.where(Contact.email == email)
    rows = await session.execute(query.order_by(Contact.id))
    return [(contact, account) for contact, account in rows.all()]


async def account_names(*, session: AsyncSession) -> list[str]:
    rows = await session.execute(select(Account.name).order_by(Account.name))
    return list(rows.scalars())
