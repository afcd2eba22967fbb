"""`GET /healthz` fails when the database cannot be read or written: the caller is told
`"database": "unavailable"`, the log says why (the database's host or file)."""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot.core.config import Settings
from bot.core.runtime import Runtime, build_runtime
from bot.devkit.clock import FakeClock
from handlers.web import monitoring
from storage.db import Database
from storage.models import Account

pytestmark = pytest.mark.postgres


async def _health(rt: Runtime) -> tuple[int, dict[str, Any]]:
    """GET /healthz from the monitoring server `worker` and `socket` run on METRICS_PORT."""
    runner = await monitoring.start(rt, 0)
    assert runner is not None
    port = runner.addresses[0][1]
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/healthz") as response,
        ):
            return response.status, await response.json()
    finally:
        await runner.cleanup()


def _read_only(database_url: str, backend: str) -> Database:
    """The same database, opened so that it cannot be written."""
    if backend == "sqlite":
        path = make_url(database_url).database
        return Database(f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true")
    # what a read-only replica or a role with default_transaction_read_only gives
    settings = {"default_transaction_read_only": "on"}
    return Database(database_url, connect_args={"server_settings": settings})


def _reasons(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What the failed health checks logged, one line each."""
    return [
        f"{r.getMessage()} state={r.state} reason={r.reason}"
        for r in caplog.records
        if r.name == "bot.services.operations" and r.levelno >= logging.ERROR
    ]


async def test_healthz_is_503_and_logs_the_reason_when_the_database_cannot_be_written(
    settings: Settings,
    db: Database,
    database_url: str,
    backend: str,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    status, body = await _health(build_runtime(settings, db=db, clock=clock))
    assert status == 200 and body["ok"] is True and body["database"] == "ok"

    read_only = _read_only(database_url, backend)
    try:
        status, body = await _health(build_runtime(settings, db=read_only, clock=clock))
    finally:
        await read_only.dispose()
    assert status == 503
    assert body == {"ok": False, "database": "unavailable"}  # nothing about where it is
    [line] = _reasons(caplog)
    assert "state=read-only" in line and "read-only" in line.partition("reason=")[2]
    if backend == "sqlite":
        assert str(make_url(database_url).database) in line  # the log names the file


async def test_healthz_is_503_when_the_database_does_not_answer(
    settings: Settings, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    gone = Database("postgresql+asyncpg://voc:secret-pw@127.0.0.1:1/voc")
    try:
        status, body = await _health(build_runtime(settings, db=gone, clock=clock))
    finally:
        await gone.dispose()
    assert status == 503 and body == {"ok": False, "database": "unavailable"}
    [line] = _reasons(caplog)
    assert "state=unreachable" in line and "127.0.0.1:1" in line and "secret-pw" not in line


@contextmanager
def _immutable(files: list[Path]) -> Iterator[None]:
    """`chattr +i` on the files for the block: not even root may write them."""
    if shutil.which("chattr") is None:  # e2fsprogs is missing (the Python 3.13 chroot)
        pytest.skip("chattr is not installed here")
    made: list[Path] = []
    try:
        for path in files:
            done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
            if done.returncode != 0:
                pytest.skip(f"chattr +i is not allowed here: {done.stderr.decode().strip()}")
            made.append(path)
        yield
    finally:
        for path in made:
            subprocess.run(["chattr", "-i", str(path)], check=True)


@pytest.mark.parametrize("files", [["voc.db", "voc.db-wal"], ["voc.db"]])
async def test_healthz_is_503_when_the_sqlite_file_became_immutable(
    settings: Settings,
    db: Database,
    database_url: str,
    backend: str,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    files: list[str],
) -> None:
    """Issue 25, item 14: made immutable under a running app, the file refused every write
    while /healthz, whose probe wrote nothing that reached the disk, answered 200."""
    if backend != "sqlite":
        pytest.skip("an immutable database file is SQLite's failure")
    rt = build_runtime(settings, db=db, clock=clock)
    status, _ = await _health(rt)  # the pool's connections open while it is writable
    assert status == 200
    folder = Path(str(make_url(database_url).database)).parent
    with _immutable([folder / name for name in files]):
        status, body = await _health(rt)
        if "voc.db-wal" in files:  # what the probe stands for: a real write fails too
            with pytest.raises(DBAPIError):
                async with db.transaction() as session:
                    await session.execute(insert(Account).values(name="A", name_key="a"))
    assert status == 503 and body == {"ok": False, "database": "unavailable"}
    [line] = _reasons(caplog)
    assert "state=read-only" in line and "the database refuses writes" in line
    assert str(folder / "voc.db") in line  # the log names the file; the answer did not
