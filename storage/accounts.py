"""Queries over accounts and their contacts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.records import AccountSummary
from storage.models import Account, Contact


async def find_account_by_key(*, session: AsyncSession, key: str) -> Account | None:
    result = await session.execute(select(Account).where(Account.name_key == key))
    return result.scalar_one_or_none()


async def find_account_by_crm_id(*, session: AsyncSession, crm_id: str) -> Account | None:
    """The account with this CRM id (the first, should two share one)."""
    result = await session.execute(
        select(Account).where(Account.crm_id == crm_id).order_by(Account.id).limit(1)
    )
    return result.scalar_one_or_none()


async def get_contact_by_email(*, session: AsyncSession, email: str) -> Contact | None:
    """The contact with this (already lower-case) email."""
    result = await session.execute(select(Contact).where(Contact.email == email))
    return result.scalar_one_or_none()


async def get_contact_by_slack_user(*, session: AsyncSession, slack_user_id: str) -> Contact | None:
    """The contact with this Slack user id (the oldest, if two emails share one person)."""
    result = await session.execute(
        select(Contact).where(Contact.slack_user_id == slack_user_id).order_by(Contact.id).limit(1)
    )
    return result.scalar_one_or_none()


async def upsert_account(
    *, session: AsyncSession, name: str, key: str, fields: dict[str, Any], now: datetime
) -> tuple[Account, bool, bool]:
    """Create the account with this name key, or update it; returns (account, created,
    changed): `changed` is False when every value given was already stored.

    Args:
        key: `bot.domain.names.name_key(name)`, the column accounts are matched by.
        fields: Account attributes; a None value leaves the stored one alone.
    """
    account = await find_account_by_key(session=session, key=key)
    created = account is None
    if account is None:
        account = Account(name=name, name_key=key, created_at=now)
        session.add(account)
    changed = _apply(account, {"name": name, **fields}) or created
    if changed:
        account.updated_at = now
    await session.flush()
    return account, created, changed


async def upsert_contact(
    *,
    session: AsyncSession,
    email: str,
    account_id: int,
    fields: dict[str, Any],
    now: datetime,
) -> tuple[Contact, bool, bool]:
    """Create the contact with this email, or update it and its account; returns (contact,
    created, changed): `changed` is False when every value given was already stored.

    Args:
        email: lower-case, as stored.
        fields: Contact attributes; a None value leaves the stored one alone.
    """
    contact = await get_contact_by_email(session=session, email=email)
    created = contact is None
    if contact is None:
        contact = Contact(email=email, account_id=account_id, created_at=now)
        session.add(contact)
    previous_slack_user = contact.slack_user_id
    changed = _apply(contact, {"account_id": account_id, **fields}) or created
    if previous_slack_user and contact.slack_user_id != previous_slack_user:
        # Zone and locale came from the old Slack user; clearing them makes the next send look up.
        contact.tz = None
        contact.locale = None
    if changed:
        contact.updated_at = now
    await session.flush()
    return contact, created, changed


def _apply(row: Account | Contact, fields: dict[str, Any]) -> bool:
    """Set each value that is not None; whether any differed from the stored one."""
    changed = False
    for name, value in fields.items():
        if value is not None and getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


async def is_csm(*, session: AsyncSession, user_id: str) -> bool:
    """Whether `user_id` is the CSM of some account (named in the contacts CSV)."""
    result = await session.execute(
        select(Account.id).where(Account.csm_user_id == user_id).limit(1)
    )
    return result.scalar_one_or_none() is not None


def summary_of(account: Account) -> AccountSummary:
    """The account as the layers above storage see it."""
    assert account.id is not None, "a stored account has an id"
    return AccountSummary(
        id=account.id,
        name=account.name,
        segment=account.segment,
        plan=account.plan,
        arr=account.arr,
        health=account.health,
    )
