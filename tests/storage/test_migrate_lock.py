"""Ten processes starting together on an empty database all come up: migrations take a lock."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.harness import BOT_TOKEN

pytestmark = pytest.mark.slow  # ten processes start and migrate


async def _empty_postgres(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def _ten_upgrades(url: str, cwd: Path) -> list[tuple[int, bytes]]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "DATABASE_URL": url}
    env |= {"SLACK_BOT_TOKEN": BOT_TOKEN}
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "db",
            "upgrade",
            cwd=cwd,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(10)
    ]
    results = []
    for process in processes:
        _, err = await asyncio.wait_for(process.communicate(), 120)
        results.append((process.returncode or 0, err))
    return results


async def test_ten_sqlite_upgrades_at_once_all_succeed(tmp_path: Path) -> None:
    results = await _ten_upgrades(f"sqlite+aiosqlite:///{tmp_path}/voc.db", tmp_path)
    assert [code for code, _ in results] == [0] * 10, [err[-500:] for _, err in results]


@pytest.mark.skipif(not os.environ.get("VOC_TEST_POSTGRES_URL"), reason="needs PostgreSQL")
async def test_ten_postgres_upgrades_at_once_all_succeed(tmp_path: Path) -> None:
    url = os.environ["VOC_TEST_POSTGRES_URL"]
    await _empty_postgres(url)
    results = await _ten_upgrades(url, tmp_path)
    assert [code for code, _ in results] == [0] * 10, [err[-500:] for _, err in results]
