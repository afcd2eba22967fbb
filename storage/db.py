"""The async engine, the session factory and migrations."""

from __future__ import annotations

import asyncio
import fcntl
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
MIGRATION_LOCK_KEY = 0x566F4342  # "VoCB": the advisory lock migrations hold on PostgreSQL
T = TypeVar("T")
READERS = 3  # sessions `Database.read` runs at once: a report's sections, read side by side


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets `serve` and a CLI command share the file; the busy timeout makes a writer
    # wait for the lock instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Deleted and overwritten values are zeroed in the file, not left in free space: an
    # erasure (`forget`) must not leave the old email readable in the database's bytes.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for any SQLAlchemy async URL, with SQLite tuned for sharing.

    Its errors never carry the statement's parameters (emails, comments): whoever logs
    one logs the statement and the cause only.
    """
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    else:
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        # aiosqlite's DEBUG lines echo each statement's parameters, a survey link's pending
        # token among them: its logger never goes below INFO (no line of its is lost above).
        aiosqlite_log = logging.getLogger("aiosqlite")
        aiosqlite_log.setLevel(max(logging.INFO, aiosqlite_log.level))
    return engine


def outage(exc: BaseException) -> str | None:
    """One line saying how the database failed, when `exc` means it cannot do the work now
    (down, unreachable, out of connections, read-only, its tables gone); None otherwise:
    a duplicate key, a value of the wrong type, a misused driver are about what was asked.

    The line names the driver's error and its message, never the statement's values.
    """
    if isinstance(exc, PoolTimeout | OSError | TimeoutError):
        return _said(exc)
    if not isinstance(exc, DBAPIError) or isinstance(exc, IntegrityError | DataError):
        return None
    cause = _root(exc)
    if isinstance(cause, TypeError | ValueError | sqlite3.ProgrammingError):
        return None  # the driver refused a value before sending it: a bug, not an outage
    if str(getattr(cause, "sqlstate", "") or "")[:2] in ("22", "23"):
        return None  # PostgreSQL's data and constraint errors, which quote the value
    return _said(cause)


def _said(cause: BaseException) -> str:
    text = str(cause).strip()
    code = str(getattr(cause, "sqlstate", "") or "")
    name = type(cause).__name__ + (f" {code}" if code else "")
    return f"{name}: {text.splitlines()[0]}"[:200] if text else name


def _root(exc: BaseException) -> BaseException:
    """The driver's own exception beneath SQLAlchemy's wrappers."""
    seen = {id(exc)}
    while True:
        inner = getattr(exc, "orig", None) or exc.__cause__
        if not isinstance(inner, BaseException) or id(inner) in seen:
            return exc
        seen.add(id(inner))
        exc = inner


class Database:
    """Owns the engine and hands out sessions."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer: queue this process's writers here instead of letting them
        # spin in SQLite's busy handler, which sleeps in steps of up to 100 ms.
        self._write_lock = asyncio.Lock() if self.dialect == "sqlite" else None
        # An in-memory SQLite database is one connection that every session shares: its
        # reads take turns.
        shared = self.dialect == "sqlite" and _sqlite_lock_path(self.engine.url.database) is None
        self._readers = asyncio.Semaphore(1 if shared else READERS)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    async def read(self, query: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run a read-only `query` on a session of its own, at most `READERS` at once.

        Reports start their sections as tasks that each `read`, so the database works on
        several at once (PostgreSQL and SQLite's WAL readers each use a core of their own).
        Each section sees its own snapshot, as each statement of a PostgreSQL session
        already does under READ COMMITTED.
        """
        async with self._readers, self.sessions() as session:
            return await query(session)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits on success and rolls back on error."""
        if self._write_lock is None:
            async with self.sessions() as session, session.begin():
                yield session
            return
        async with self._write_lock, self.sessions() as session, session.begin():
            yield session

    async def upgrade(self) -> None:
        """Apply every pending Alembic migration, one process at a time.

        Processes starting together wait for each other: PostgreSQL through an advisory
        lock held for the migration's transaction, SQLite through a lock file beside the
        database. The one that comes second finds nothing left to do. A database already at
        the newest revision is seen in one query, without loading Alembic and the scripts
        (most of a short command's start-up otherwise).
        """
        if await self._at_head():
            return
        if self.dialect == "postgresql":
            async with self.engine.begin() as connection:
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
                await connection.run_sync(_upgrade)
            return
        async with _file_lock(_sqlite_lock_path(self.engine.url.database)):
            async with self.engine.begin() as connection:
                await connection.run_sync(_upgrade)

    async def _at_head(self) -> bool:
        try:
            async with self.engine.connect() as connection:
                stored = await connection.execute(text("SELECT version_num FROM alembic_version"))
                return [row[0] for row in stored] == [head_revision()]
        except DBAPIError:  # no version table yet: a new database
            return False

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_lock_path(database: str | None) -> Path | None:
    """`voc.db.migrate-lock` beside a file database; None for an in-memory one."""
    if not database or database == ":memory:" or "mode=memory" in database:
        return None
    return Path(database.removeprefix("file:").split("?")[0] + ".migrate-lock")


@asynccontextmanager
async def _file_lock(path: Path | None) -> AsyncIterator[None]:
    """An exclusive lock on `path` (waited for in a thread); nothing when path is None."""
    if path is None or not path.parent.is_dir():
        yield  # an in-memory database, or a missing folder the connect will report
        return
    with path.open("a") as handle:
        await asyncio.to_thread(fcntl.flock, handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def head_revision() -> str:
    """The newest migration's revision, from the scripts' names: each is `NNNN_what.py` with
    revision "NNNN" (tests/storage/test_db.py holds every script to it)."""
    names = (path.name for path in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
    return max(names)[:4]


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    from alembic import command

    command.upgrade(alembic_config(connection), "head")
