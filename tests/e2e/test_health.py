"""`GET /healthz` fails, with the reason, when the database answers but cannot be written."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from sqlalchemy.engine import make_url

from bot.core.config import Settings
from bot.core.runtime import Runtime, build_runtime
from bot.devkit.clock import FakeClock
from handlers.web import monitoring
from storage.db import Database

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


async def test_healthz_is_503_with_the_reason_when_the_database_cannot_be_written(
    settings: Settings, db: Database, database_url: str, backend: str, clock: FakeClock
) -> None:
    status, body = await _health(build_runtime(settings, db=db, clock=clock))
    assert status == 200 and body["ok"] is True and body["database"] == "ok"

    read_only = _read_only(database_url, backend)
    try:
        status, body = await _health(build_runtime(settings, db=read_only, clock=clock))
    finally:
        await read_only.dispose()
    assert status == 503
    assert body["ok"] is False and body["database"] == "read-only"
    assert "read-only" in body["reason"] and "\n" not in body["reason"]
    if backend == "sqlite":
        assert str(make_url(database_url).database) in body["reason"]  # names the file


async def test_healthz_is_503_when_the_database_does_not_answer(
    settings: Settings, clock: FakeClock
) -> None:
    gone = Database("postgresql+asyncpg://voc:secret-pw@127.0.0.1:1/voc")
    try:
        status, body = await _health(build_runtime(settings, db=gone, clock=clock))
    finally:
        await gone.dispose()
    assert status == 503 and body["database"] == "unreachable"
    assert "127.0.0.1:1" in body["reason"] and "secret-pw" not in body["reason"]
