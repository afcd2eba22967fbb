"""How long recomputing every account's health takes, against one GROUP BY.

Builds (once, cached under /tmp by version and scale) a SQLite database of 10,000 accounts
with 50,000 contacts, 1,000,000 answered invitations and their responses over a year (plus
unanswered asks, a case for every detractor, some still open, and comments of which some
carry churn or expansion words), and 200,000 usage rows over the last five weeks. Then, in a
fresh process, times `health.recompute` for every account against one hand-written
`GROUP BY` over the whole responses table, and reports the process's peak RSS and the load
average. Targets: < 10 s, < 300 MB.

With `--database postgresql` the same rows are copied into PostgreSQL (migrated by the app,
loaded with COPY, then VACUUM ANALYZE) and both are timed there. `--scale 0.01` builds a
hundredth of the data set, to check the bench works.

    python bench/health.py [--database sqlite|postgresql] [--rounds 3] [--scale 1] [--rebuild]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from bench._db import add_options  # noqa: E402
from bench._memory import peak_mb  # noqa: E402
from bench.digest import _category, _copy_table, _score, _stamp  # noqa: E402
from bot.core.config import Settings  # noqa: E402
from bot.core.runtime import build_runtime  # noqa: E402
from bot.services import health  # noqa: E402
from storage.db import Database  # noqa: E402

VERSION = 1  # bump when the data or the schema changes: the cached file is rebuilt
AS_OF = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ACCOUNTS, CONTACTS, RESPONSES, USAGE = 10_000, 50_000, 1_000_000, 200_000
UNANSWERED = 0.2  # asks without an answer, per answer
SPAN = timedelta(days=365)
BATCH = 50_000
TARGET_SECONDS, TARGET_MB = 10.0, 300
BASELINE = "SELECT account_id, count(*), avg(score) FROM responses GROUP BY account_id"
COMMENTS = (
    "The export is slow & support took days",
    "We are thinking about cancelling our plan",
    "Another team wants licences too",
    "Kami tidak akan sambung kontrak",
    "Love the dashboards",
)
TABLES = ("accounts", "contacts", "invitations", "responses", "cases", "usage_events")


def _cache(scale: float) -> Path:
    return Path(f"/tmp/vocbot-bench-health-v{VERSION}-x{scale:g}.db")


def _sizes(scale: float) -> tuple[int, int, int, int]:
    return tuple(max(1, int(n * scale)) for n in (ACCOUNTS, CONTACTS, RESPONSES, USAGE))  # type: ignore[return-value]


def build(path: Path, scale: float) -> None:
    """Create the schema with the app's migrations, then bulk-insert with executemany."""
    accounts, contacts, responses, usage = _sizes(scale)
    path.unlink(missing_ok=True)
    database = Database(f"sqlite+aiosqlite:///{path}")
    asyncio.run(database.upgrade())
    asyncio.run(database.dispose())
    rng = random.Random(28)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=OFF")
    connection.execute("PRAGMA synchronous=OFF")
    now = _stamp(AS_OF)
    connection.executemany(
        "INSERT INTO accounts (id, name, name_key, health, csm_user_id, created_at, updated_at)"
        " VALUES (?,?,?,?,?,?,?)",
        [(i, f"Account {i}", f"account {i}", rng.choice(("green", "yellow", "red")),
          f"UCSM{i % 40:03d}", now, now) for i in range(1, accounts + 1)],
    )  # fmt: skip
    connection.executemany(
        "INSERT INTO contacts (id, email, account_id, opted_out, created_at, updated_at)"
        " VALUES (?,?,?,0,?,?)",
        [(i, f"c{i}@bench.test", (i % accounts) + 1, now, now) for i in range(1, contacts + 1)],
    )
    start, seconds = AS_OF - SPAN, int(SPAN.total_seconds())
    asks = int(responses * (1 + UNANSWERED))
    for first in range(1, asks + 1, BATCH):
        invitations, answers, cases = [], [], []
        for i in range(first, min(first + BATCH, asks + 1)):
            contact = rng.randint(1, contacts)
            account = (contact % accounts) + 1
            kind = rng.choices(("nps", "csat", "ces"), weights=(70, 20, 10))[0]
            sent_at = start + timedelta(seconds=rng.randrange(seconds))
            sent = _stamp(sent_at)
            if i > responses:  # an ask nobody answered
                invitations.append(
                    (i, contact, kind, "relationship", "expired", 1, sent, sent, None, sent)
                )
                continue
            answered = _stamp(min(AS_OF, sent_at + timedelta(hours=rng.randint(1, 72))))
            invitations.append(
                (i, contact, kind, "relationship", "answered", 1, sent, sent, answered, sent)
            )
            score = _score(rng, kind)
            category = _category(kind, score)
            comment = rng.choice(COMMENTS) if rng.random() < 0.05 else None
            answers.append((i, i, contact, account, kind, score, category, comment, answered))
            if category in ("detractor", "dissatisfied", "difficult"):
                done = rng.random() < 0.8
                cases.append(
                    (
                        i,
                        i,
                        contact,
                        account,
                        kind,
                        score,
                        "csm",
                        answered,
                        answered if done else None,
                        answered if done else None,
                    )
                )
        connection.executemany(
            'INSERT INTO invitations (id, contact_id, kind, "trigger", status, attempts, due_at,'
            " sent_at, answered_at, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            invitations,
        )
        connection.executemany(
            "INSERT INTO responses (id, invitation_id, contact_id, account_id, kind, score,"
            " category, comment, answered_at) VALUES (?,?,?,?,?,?,?,?,?)",
            answers,
        )
        connection.executemany(
            "INSERT INTO cases (id, response_id, invitation_id, contact_id, account_id, kind,"
            " score, review, opened_at, first_logged_at, closed_at, escalations)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,0)",
            [(c[0], *c) for c in cases],
        )  # fmt: skip
    weeks = int(timedelta(weeks=5).total_seconds())
    connection.executemany(
        "INSERT INTO usage_events (id, account_id, metric, value, at, created_at)"
        " VALUES (?,?,?,?,?,?)",
        [(i, rng.randint(1, accounts), rng.choice(("active_users", "logins", "tickets")),
          float(rng.randint(0, 50)), _stamp(AS_OF - timedelta(seconds=rng.randrange(weeks))), now)
         for i in range(1, usage + 1)],
    )  # fmt: skip
    connection.commit()
    connection.execute("ANALYZE")
    connection.close()


async def _load_postgres(url: str, source: Path) -> None:
    """Copy the SQLite data set into a freshly emptied PostgreSQL database."""
    import asyncpg

    database = Database(url)
    async with database.engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await database.upgrade()
    await database.dispose()
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        rows = sqlite3.connect(source)
        for table in TABLES:
            await _copy_table(connection, rows, table)
        rows.close()
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


async def _measure(url: str, rounds: int) -> dict[str, Any]:
    database = Database(url)
    rt = build_runtime(Settings(database_url=url), db=database)
    timings, baseline = [], []
    scored = 0
    try:
        for _ in range(rounds):
            started = time.perf_counter()
            scored = (await health.recompute(rt, AS_OF)).scored
            timings.append(time.perf_counter() - started)
            started = time.perf_counter()
            async with database.session() as session:
                (await session.execute(text(BASELINE))).all()
            baseline.append(time.perf_counter() - started)
    finally:
        await rt.close()
        await database.dispose()
    return {
        "median": statistics.median(timings),
        "first": timings[0],
        "baseline_median": statistics.median(baseline),
        "scored": scored,
        "peak_mb": peak_mb(),
    }


def main(options: argparse.Namespace) -> int:
    if options.measure:
        print(json.dumps(asyncio.run(_measure(options.measure, options.rounds))))
        return 0
    cache = _cache(options.scale)
    if options.rebuild or not cache.exists():
        started = time.perf_counter()
        build(cache, options.scale)
        print(f"built {cache} in {time.perf_counter() - started:.0f} s")
    url, where = f"sqlite+aiosqlite:///{cache}", "SQLite"
    if options.database == "postgresql":
        url, where = options.postgres_url, "PostgreSQL"
        started = time.perf_counter()
        asyncio.run(_load_postgres(url, cache))
        print(f"copied into PostgreSQL in {time.perf_counter() - started:.0f} s")
    root = Path(__file__).resolve().parents[1]
    child = subprocess.run(
        [sys.executable, __file__, "--measure", url, "--rounds", str(options.rounds)],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        check=True,
        capture_output=True,
        text=True,
    )
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    accounts, contacts, responses, usage = _sizes(options.scale)
    ratio = figures["median"] / figures["baseline_median"]
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"{accounts:,} accounts, {contacts:,} contacts, {responses:,} responses, "
        f"{usage:,} usage rows ({where}); {options.rounds} rounds; load average {load}"
    )
    print(
        f"recompute health: median {figures['median']:.3f} s, first {figures['first']:.3f} s,"
        f" {figures['scored']:,} accounts scored (target < {TARGET_SECONDS:g} s)"
    )
    print(f"one GROUP BY over all responses: median {figures['baseline_median']:.3f} s")
    print(f"ratio recompute / GROUP BY (medians): {ratio:.1f}")
    print(f"peak RSS of the measuring process: {figures['peak_mb']:.0f} MB (target < {TARGET_MB})")
    return 0 if figures["median"] < TARGET_SECONDS and figures["peak_mb"] < TARGET_MB else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    add_options(parser)
    sys.exit(main(parser.parse_args()))
