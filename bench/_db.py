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


def add_options(parser: argparse.ArgumentParser, *, both: bool = False) -> None:
    """`--database` and `--postgres-url`. With `both`, `--database both` runs SQLite, then
    PostgreSQL, in one run, and is the default when VOC_BENCH_POSTGRES_URL is set."""
    if both:
        default = "both" if os.environ.get("VOC_BENCH_POSTGRES_URL") else "sqlite"
        parser.add_argument("--database", choices=(*DATABASES, "both"), default=default)
    else:
        parser.add_argument("--database", choices=DATABASES, default="sqlite")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("VOC_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="emptied before the run (default: $VOC_BENCH_POSTGRES_URL)",
    )


def chosen(options: argparse.Namespace) -> list[str]:
    """The databases to run on, in order: one, or both for `--database both`."""
    return list(DATABASES) if options.database == "both" else [options.database]


def side_by_side(rows: list[tuple[str, list[str]]], kinds: list[str]) -> None:
    """A table of figures, one column per database: rows of (what, [figure per database])."""
    names = [label("postgresql" if kind == "postgresql" else "sqlite") for kind in kinds]
    width = max(len(what) for what, _ in rows) + 2
    print(f"{'':<{width}}" + "".join(f"{name:>14}" for name in names))
    for what, figures in rows:
        print(f"{what:<{width}}" + "".join(f"{figure:>14}" for figure in figures))


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
