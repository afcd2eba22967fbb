"""Migration 0020 on a database with requests in it: `open` becomes `new`, the longer states
fit, and the insights pointing at a request still do (SQLite keeps its foreign keys on)."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection

from storage.db import Database, alembic_config

pytestmark = pytest.mark.postgres
AT = "2026-01-01 00:00:00.000000"


def _to(connection: Connection, revision: str) -> None:
    command.upgrade(alembic_config(connection), revision)


async def test_open_requests_become_new_and_keep_their_feedback(database_url: str) -> None:
    database = Database(database_url)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(_to, "0019")
        async with database.engine.begin() as connection:
            for sql in (
                "INSERT INTO accounts (name, name_key, created_at, updated_at) "
                f"VALUES ('Acme', 'acme', '{AT}', '{AT}')",
                "INSERT INTO feature_requests (name, name_key, status, created_at) "
                f"VALUES ('SSO', 'sso', 'open', '{AT}'), ('Dark', 'dark', 'shipped', '{AT}')",
                "INSERT INTO insights (account_id, source, type, text, feature_request_id, "
                "created_at) SELECT 1, 'call', 'feature request', 'SSO', id, "
                f"'{AT}' FROM feature_requests",
            ):
                await connection.execute(text(sql))
        await database.upgrade()
        async with database.engine.begin() as connection:
            statuses = (
                await connection.execute(text("SELECT name, status FROM feature_requests"))
            ).all()
            await connection.execute(
                text("UPDATE feature_requests SET status = 'under review' WHERE name = 'Dark'")
            )
            linked = (
                await connection.execute(
                    text("SELECT count(*) FROM insights WHERE feature_request_id IS NOT NULL")
                )
            ).scalar_one()
        assert sorted(statuses) == [("Dark", "shipped"), ("SSO", "new")]
        assert linked == 2
    finally:
        await database.dispose()
