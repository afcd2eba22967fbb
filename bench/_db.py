"""The database a bench runs against: a fresh SQLite file, or an emptied PostgreSQL database.

PostgreSQL comes from `--postgres-url` or `VOC_BENCH_POSTGRES_URL`; the bench drops and
recreates its `public` schema, so point it at a database kept for benches only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path

from sqlalchemy import text

from storage.db import Database

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://voc:voc@127.0.0.1:5432/voc_bench"
DATABASES = ("sqlite", "postgresql")


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database", choices=DATABASES, default="sqlite")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("VOC_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="emptied before the run (default: $VOC_BENCH_POSTGRES_URL)",
    )


def fresh_url(options: argparse.Namespace, directory: Path, name: str) -> str:
    """An empty database of the chosen kind, migrated by whoever opens it first."""
    if options.database == "sqlite":
        return f"sqlite+aiosqlite:///{directory / name}.db"
    asyncio.run(_empty(options.postgres_url))
    return options.postgres_url


def label(url: str) -> str:
    return "PostgreSQL" if url.startswith("postgresql") else "SQLite"


async def _empty(url: str) -> None:
    database = Database(url)
    async with database.engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await database.dispose()
