"""A database error never carries the statement's values, and an outage is told from a bug."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from storage.db import Database, outage
from storage.models import Account, Contact

pytestmark = pytest.mark.postgres
EMAIL = "ana.secret@acme.test"


async def test_a_failed_statement_shows_no_values_and_is_an_outage(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(text("ALTER TABLE contacts RENAME TO contacts_gone"))
    with pytest.raises(DBAPIError) as failed:
        async with db.session() as session:
            await session.execute(select(Contact).where(Contact.email == EMAIL))
    assert EMAIL not in str(failed.value)  # hide_parameters: what aiohttp or Bolt would log
    line = outage(failed.value)
    assert line is not None and "contacts" in line and "\n" not in line
    assert EMAIL not in line


async def test_a_duplicate_key_is_not_an_outage(db: Database) -> None:
    async with db.transaction() as session:
        session.add(Account(name="Acme", name_key="acme"))
    with pytest.raises(IntegrityError) as failed:
        async with db.transaction() as session:
            session.add(Account(name="Acme", name_key="acme"))
    assert outage(failed.value) is None


async def test_a_server_that_is_not_there_is_an_outage() -> None:
    gone = Database("postgresql+asyncpg://voc:secret-pw@127.0.0.1:1/voc")
    try:
        with pytest.raises(OSError) as failed:
            async with gone.session() as session:
                await session.execute(text("SELECT 1"))
    finally:
        await gone.dispose()
    line = outage(failed.value)
    assert line is not None and "127.0.0.1" in line and "secret-pw" not in line
