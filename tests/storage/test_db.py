from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import TextClause, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from storage.db import READERS, Database, alembic_config, head_revision
from storage.models import Account, FollowUpCase, UTCDateTime

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


async def _most_reading_at_once(database: Database, reads: int, *, patience: float) -> int:
    """Start `reads` reads together; each holds its session until READERS are inside (or
    `patience` seconds have passed), and the most that were inside at once is returned."""
    inside = most = 0
    full = asyncio.Event()

    async def query(session: AsyncSession) -> None:
        nonlocal inside, most
        await session.execute(text("select 1"))  # the session holds a connection now
        inside += 1
        most = max(most, inside)
        if inside == READERS:
            full.set()
        try:
            await asyncio.wait_for(full.wait(), patience)
        except TimeoutError:
            pass
        inside -= 1

    await asyncio.gather(*(database.read(query) for _ in range(reads)))
    return most


async def test_reads_run_side_by_side_up_to_the_limit(db: Database) -> None:
    assert await _most_reading_at_once(db, READERS + 2, patience=30) == READERS


async def test_an_in_memory_database_reads_one_at_a_time() -> None:
    """Its one connection is shared by every session: side by side they would interleave
    statements on it."""
    database = Database("sqlite+aiosqlite://")
    try:
        assert await _most_reading_at_once(database, 3, patience=0.3) == 1
    finally:
        await database.dispose()


async def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path) -> None:  # type: ignore[no-untyped-def]
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    async with database.session() as session:
        mode = (await session.execute(text("PRAGMA journal_mode"))).scalar_one()
        timeout = (await session.execute(text("PRAGMA busy_timeout"))).scalar_one()
    await database.dispose()
    assert mode == "wal"
    assert timeout >= 5000


async def test_responses_recorded_before_0016_get_their_ticket_labels(db: Database) -> None:
    def to(revision: str):  # type: ignore[no-untyped-def]
        def move(connection):  # type: ignore[no-untyped-def]
            from alembic import command

            (command.downgrade if revision != "head" else command.upgrade)(
                alembic_config(connection), revision
            )

        return move

    async with db.engine.begin() as connection:
        await connection.run_sync(to("0015"))
    contexts = [
        '{"agent": "Ali", "issue_type": "billing"}',
        '{"agent": 42, "issue_type": true}',
        '{"imported": "csv"}',
        None,
    ]
    async with db.transaction() as session:
        first = {"at": datetime(2026, 1, 1, tzinfo=UTC)}
        await session.execute(
            _at(
                "insert into accounts (id, name, name_key, created_at, updated_at)"
                " values (1, 'A', 'a', :at, :at)"
            ),
            first,
        )
        await session.execute(
            _at(
                "insert into contacts (id, email, account_id, opted_out, created_at, updated_at)"
                " values (1, 'a@x.test', 1, false, :at, :at)"
            ),
            first,
        )
        for n, context in enumerate(contexts, start=1):
            at = datetime(2026, 1, n, tzinfo=UTC)
            await session.execute(
                _at(
                    'insert into invitations (id, contact_id, kind, "trigger", status, attempts,'
                    " due_at, created_at, context) values (:n, 1, 'csat', 'support', 'answered',"
                    " 1, :at, :at, :context)"
                ),
                {"n": n, "at": at, "context": context},
            )
            await session.execute(
                _at(
                    "insert into responses (id, invitation_id, contact_id, account_id, kind,"
                    " score, category, answered_at) values (:n, :n, 1, 1, 'csat', 4,"
                    " 'satisfied', :at)"
                ),
                {"n": n, "at": at},
            )
    async with db.engine.begin() as connection:
        await connection.run_sync(to("head"))
    async with db.session() as session:
        query = text("select agent, issue_type from responses order by id")
        rows = (await session.execute(query)).all()
    assert [tuple(row) for row in rows] == [
        ("Ali", "billing"),
        ("42", "true"),
        (None, None),
        (None, None),
    ]


async def test_health_cases_before_0027_move_into_the_follow_up_loop_and_back(
    db: Database,
) -> None:
    def to(revision: str):  # type: ignore[no-untyped-def]
        def move(connection):  # type: ignore[no-untyped-def]
            from alembic import command

            (command.downgrade if revision != "head" else command.upgrade)(
                alembic_config(connection), revision
            )

        return move

    opened = datetime(2026, 11, 23, 9, tzinfo=UTC)
    async with db.engine.begin() as connection:
        await connection.run_sync(to("0026"))
    async with db.transaction() as session:
        await session.execute(
            _at(
                "insert into accounts (id, name, name_key, csm_user_id, created_at, updated_at)"
                " values (1, 'A', 'a', 'UCSM', :at, :at), (2, 'B', 'b', null, :at, :at)"
            ),
            {"at": opened},
        )
        for n, account, closed in ((1, 1, None), (2, 2, opened + timedelta(hours=30))):
            statement = text(
                "insert into health_cases (id, account_id, open_account_id, score, change, why,"
                " owner, opened_at, claimed_by, claimed_at, escalations, next_escalation_at,"
                " channel, message_ts, closed_at) values (:n, :account, :open, 35, -20,"
                " 'NPS 9 → 4 (−12)', 'UCSM', :at, :claimed, :claimed_at, 1, :next, 'CVOC',"
                " :ts, :closed)"
            ).bindparams(
                *(bindparam(name, type_=UTCDateTime()) for name in ("at", "claimed_at", "next"))
            )
            await session.execute(
                statement.bindparams(bindparam("closed", type_=UTCDateTime())),
                {
                    "n": n, "account": account, "open": None if closed else account,
                    "at": opened, "claimed": "U2" if closed else None,
                    "claimed_at": opened + timedelta(hours=1) if closed else None,
                    "next": opened + timedelta(hours=72), "ts": f"1.{n}", "closed": closed,
                },
            )  # fmt: skip
    async with db.engine.begin() as connection:
        await connection.run_sync(to("head"))
    async with db.session() as session:
        rows = (await session.execute(select(FollowUpCase).order_by(FollowUpCase.account_id))).all()
    [(open_case,), (closed_case,)] = rows
    assert (open_case.kind, open_case.score, open_case.health_change) == ("health", 35, -20)
    assert (open_case.why, open_case.response_id, open_case.message_ts) == (
        "NPS 9 → 4 (−12)", None, "1.1"
    )  # fmt: skip
    assert open_case.closed_at is None and open_case.logged_at is None
    assert open_case.next_escalation_at == opened + timedelta(hours=72)
    assert closed_case.closed_at == opened + timedelta(hours=30)
    assert (closed_case.outcome, closed_case.logged_by, closed_case.follow_up_seconds) == (
        "recovered", "U2", 30 * 3600
    )  # fmt: skip
    assert closed_case.next_escalation_at is None
    async with db.engine.begin() as connection:
        await connection.run_sync(to("0026"))
    async with db.session() as session:
        back = (
            await session.execute(
                text("select account_id, open_account_id, owner from health_cases order by id")
            )
        ).all()
        left = await session.scalar(text("select count(*) from cases"))
    assert [tuple(row) for row in back] == [(1, 1, "UCSM"), (2, None, None)]
    assert left == 0
    async with db.engine.begin() as connection:
        await connection.run_sync(to("head"))


def _at(statement: str) -> TextClause:
    """`statement` with its `:at` bound as the models bind times (no driver's own adapter)."""
    return text(statement).bindparams(bindparam("at", type_=UTCDateTime()))


def test_every_migration_is_named_by_its_revision_and_the_newest_is_the_head() -> None:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config())
    for script in scripts.walk_revisions():
        assert script.path is not None
        assert Path(script.path).name.startswith(f"{script.revision}_"), script.path
    assert head_revision() == scripts.get_current_head()


async def test_a_database_behind_the_newest_revision_is_upgraded_and_one_at_it_is_left(
    tmp_path: Path,
) -> None:
    def to_0018(connection):  # type: ignore[no-untyped-def]
        from alembic import command

        command.downgrade(alembic_config(connection), "0018")

    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    await database.upgrade()
    async with database.engine.begin() as connection:
        await connection.run_sync(to_0018)
    await database.upgrade()  # 0019 runs again: the CRM columns are back
    async with database.session() as session:
        version = (await session.execute(text("SELECT version_num FROM alembic_version"))).all()
        columns = {row[1] for row in await session.execute(text("PRAGMA table_info(accounts)"))}
    await database.upgrade()  # at the head: nothing to do, and nothing fails
    await database.dispose()
    assert version == [(head_revision(),)]
    assert "renewal_date" in columns
