"""Test data written straight to the database (the importer has its own tests)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from storage.db import Database
from storage.models import Account, Contact


@dataclass
class Person:
    email: str
    slack_user_id: str | None = None
    account: str = "Acme"
    segment: str = "enterprise"
    tz: str | None = None
    locale: str | None = None


async def add_people(db: Database, *people: Person) -> list[int]:
    """Create the people (and their accounts); returns contact ids in order."""
    ids: list[int] = []
    async with db.transaction() as session:
        for person in people:
            key = person.account.lower()
            account = (
                await session.execute(select(Account).where(Account.name_key == key))
            ).scalar_one_or_none()
            if account is None:
                account = Account(name=person.account, name_key=key, segment=person.segment)
                session.add(account)
                await session.flush()
            contact = Contact(
                email=person.email,
                account_id=account.id or 0,
                slack_user_id=person.slack_user_id,
                tz=person.tz,
                locale=person.locale,
            )
            session.add(contact)
            await session.flush()
            ids.append(contact.id or 0)
    return ids
