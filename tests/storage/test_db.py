from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

from storage.db import Database
from storage.models import Account

pytestmark = pytest.mark.postgres


async def test_migrations_match_the_models(db: Database) -> None:
    def diff(connection):  # type: ignore[no-untyped-def]
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)

    async with db.engine.connect() as connection:
        assert await connection.run_sync(diff) == []


async def test_upgrade_twice_is_harmless(db: Database) -> None:
    await db.upgrade()
    async with db.session() as session:
        version = (await session.execute(text("select version_num from alembic_version"))).all()
    assert len(version) == 1


async def test_times_come_back_aware_and_in_utc(db: Database) -> None:
    kl = timezone(timedelta(hours=8))
    async with db.transaction() as session:
        created = datetime(2026, 1, 1, 8, tzinfo=kl)
        session.add(Account(name="Acme", name_key="acme", created_at=created))
    async with db.session() as session:
        account = (await session.execute(text("select id from accounts"))).scalar_one()
        loaded = await session.get(Account, account)
    assert loaded is not None
    assert loaded.created_at == datetime(2026, 1, 1, 0, tzinfo=UTC)
    assert loaded.created_at.tzinfo is not None


async def test_naive_times_are_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        async with db.transaction() as session:
            session.add(Account(name="Acme", name_key="acme", created_at=datetime(2026, 1, 1)))


async def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path) -> None:  # type: ignore[no-untyped-def]
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    async with database.session() as session:
        mode = (await session.execute(text("PRAGMA journal_mode"))).scalar_one()
        timeout = (await session.execute(text("PRAGMA busy_timeout"))).scalar_one()
    await database.dispose()
    assert mode == "wal"
    assert timeout >= 5000
