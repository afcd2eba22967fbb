"""How long the weekly digest takes to compute on a large program, against one GROUP BY.

Builds (once, cached under /tmp by version) a SQLite database of 1,000,000 responses from
50,000 contacts at 5,000 accounts over two years, with their invitations (the CSAT and CES
ones from closed tickets, with an agent and an issue type), a case for every detractor, and
insights with themes and feature requests, each table's rows written in time order as a
live program writes them. Then, in a fresh process, times
`compute_digest` against one hand-written `GROUP BY` over the whole responses table, and
reports the process's peak RSS. Targets: < 2 s, < 300 MB, within 3x of the GROUP BY.

With `--database postgresql` the same rows are copied from that SQLite file into PostgreSQL
(migrated by the app, loaded with COPY, then VACUUM ANALYZE as autovacuum would soon do) unless it
already holds them, and both are timed there.

With VOC_BENCH_POSTGRES_URL set (or `--database both`) it runs on SQLite, then on
PostgreSQL, and prints the two side by side; the load average is printed before and after.

    python bench/digest.py [--database sqlite|postgresql|both] [--rounds 5] [--rebuild]
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
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from bench._db import add_options, chosen, side_by_side  # noqa: E402
from bench._memory import peak_mb  # noqa: E402
from bench._rounds import print_load  # noqa: E402
from bot.services.digest import compute_digest  # noqa: E402
from storage.db import Database  # noqa: E402

VERSION = 6  # bump when the data or the schema changes: the cached file is rebuilt
CACHE = Path(f"/tmp/vocbot-bench-digest-v{VERSION}.db")
AS_OF = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ACCOUNTS, CONTACTS, RESPONSES, UNANSWERED = 5_000, 50_000, 1_000_000, 250_000
SPAN = timedelta(days=730)
BATCH = 50_000
TARGET_SECONDS, TARGET_MB, TARGET_RATIO = 2.0, 300, 3.0
BASELINE = "SELECT kind, category, count(*), avg(score) FROM responses GROUP BY kind, category"
ISSUES = ("billing", "login", "export", "integrations", "performance", "how-to")
THEMES = ("slow support", "pricing", "usability", "product bug", "missing feature", "praise")


def _stamp(moment: datetime) -> str:
    """SQLAlchemy's SQLite storage format for our UTC datetimes."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _category(kind: str, score: int) -> str:
    if kind == "nps":
        return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
    if kind == "csat":
        return "satisfied" if score >= 4 else "neutral" if score == 3 else "dissatisfied"
    return "easy" if score >= 5 else "neutral" if score == 4 else "difficult"


def _score(rng: random.Random, kind: str) -> int:
    if kind == "nps":
        return rng.choices(range(11), weights=(2, 1, 1, 2, 2, 3, 5, 10, 14, 25, 35))[0]
    return rng.randint(1, 5) if kind == "csat" else rng.randint(1, 7)


def build(path: Path) -> None:
    """Create the schema with the app's migrations, then bulk-insert with executemany."""
    path.unlink(missing_ok=True)
    database = Database(f"sqlite+aiosqlite:///{path}")
    asyncio.run(_upgrade(database))
    rng = random.Random(48)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=OFF")  # a scratch file: no journal while loading
    connection.execute("PRAGMA synchronous=OFF")
    now = _stamp(AS_OF)
    segments, plans = ("enterprise", "mid-market", "smb"), ("Starter", "Growth", "Scale", "Custom")
    healths = ("green", "yellow", "red")
    connection.executemany(
        "INSERT INTO accounts (id, name, name_key, segment, plan, arr, customer_since, health,"
        " csm_user_id, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [
            (i, f"Account {i}", f"account {i}", rng.choice(segments), rng.choice(plans),
             float(rng.randint(5, 500) * 1000),
             (date(2021, 1, 1) + timedelta(days=rng.randint(0, 2100))).isoformat(),
             rng.choice(healths), f"UCSM{i % 40:03d}", now, now)
            for i in range(1, ACCOUNTS + 1)
        ],
    )  # fmt: skip
    connection.executemany(
        "INSERT INTO contacts (id, email, account_id, opted_out, created_at, updated_at)"
        " VALUES (?,?,?,0,?,?)",
        [(i, f"c{i}@bench.test", (i % ACCOUNTS) + 1, now, now) for i in range(1, CONTACTS + 1)],
    )
    start = AS_OF - SPAN
    seconds = int(SPAN.total_seconds())
    cases: list[tuple] = []
    surveys = _surveys(rng, seconds)
    answers = 0
    for first in range(0, len(surveys), BATCH):
        invitations, responses, unanswered = [], [], []
        for i, (sent_s, answered_s, contact, kind) in enumerate(
            surveys[first : first + BATCH], start=first + 1
        ):
            sent = _stamp(start + timedelta(seconds=sent_s))
            if answered_s is None:
                unanswered.append((i, contact, "nps", "relationship", "expired", 1, sent, sent,
                                   sent))  # fmt: skip
                continue
            answers += 1
            account = (contact % ACCOUNTS) + 1
            score = _score(rng, kind)
            answered = start + timedelta(seconds=answered_s)
            at = _stamp(answered)
            comment = "The export is slow & support took days" if rng.random() < 0.05 else None
            agent = issue = context = None
            trigger = "relationship"
            if kind != "nps":  # CSAT and CES come from closed tickets, with their context
                trigger, agent, issue = "support", f"agent {rng.randrange(60)}", rng.choice(ISSUES)
                ticket = {"event": "ticket_closed", "agent": agent, "issue_type": issue}
                context = json.dumps(ticket)
            invitations.append(
                (i, contact, kind, trigger, "answered", 1, sent, sent, at, sent, context)
            )
            category = _category(kind, score)
            responses.append(
                (answers, i, contact, account, kind, score, category, comment, at, agent, issue)
            )
            if category in ("detractor", "dissatisfied") or (kind == "ces" and score <= 3):
                logged = answered + timedelta(hours=rng.randint(1, 120))
                done = rng.random() < 0.85 and logged <= AS_OF
                cases.append(
                    (answers, i, contact, account, kind, score, "csm", at,
                     _stamp(logged) if done else None,
                     int((logged - answered).total_seconds()) if done else None)
                )  # fmt: skip
        connection.executemany(
            'INSERT INTO invitations (id, contact_id, kind, "trigger", status, attempts,'
            " due_at, sent_at, answered_at, created_at, context) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            invitations,
        )
        connection.executemany(
            'INSERT INTO invitations (id, contact_id, kind, "trigger", status, attempts, due_at,'
            " sent_at, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
            unanswered,
        )
        connection.executemany(
            "INSERT INTO responses (id, invitation_id, contact_id, account_id, kind, score,"
            " category, comment, answered_at, agent, issue_type) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            responses,
        )
    connection.executemany(
        "INSERT INTO cases (response_id, invitation_id, contact_id, account_id, kind, score,"
        " review, opened_at, logged_at, follow_up_seconds, escalations)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,0)",
        cases,
    )
    _insights(connection, rng, start, seconds)
    connection.commit()  # no ANALYZE: the app never runs one, so neither does the bench
    connection.close()


def _surveys(rng: random.Random, seconds: int) -> list[tuple[int, int | None, int, str]]:
    """Every invitation as (second sent, second answered or None, contact, kind) from the
    start of the span, in the order sent. A live program writes its rows as time passes,
    so their ids, and where PostgreSQL and SQLite store them, follow the time they were
    sent: a quarter's rows lie together, as they do in a real database."""
    surveys: list[tuple[int, int | None, int, str]] = []
    for _ in range(RESPONSES):
        answered = rng.randrange(seconds)
        kind = rng.choices(("nps", "csat", "ces"), weights=(70, 20, 10))[0]
        sent = answered - 3600 * rng.randint(1, 72)
        surveys.append((sent, answered, rng.randint(1, CONTACTS), kind))
    for _ in range(UNANSWERED):
        surveys.append((rng.randrange(seconds), None, rng.randint(1, CONTACTS), "nps"))
    surveys.sort(key=lambda survey: survey[0])
    return surveys


def _insights(
    connection: sqlite3.Connection, rng: random.Random, start: datetime, seconds: int
) -> None:
    connection.executemany(
        "INSERT INTO feature_requests (id, name, name_key, status, created_at)"
        " VALUES (?,?,?,'open',?)",
        [(i, f"Request {i}", f"request {i}", _stamp(start)) for i in range(1, 201)],
    )
    insights, tags = [], []
    moments = sorted(rng.randrange(seconds) for _ in range(50_000))  # ids follow time here too
    for i, moment in enumerate(moments, start=1):
        at = _stamp(start + timedelta(seconds=moment))
        response = i * 20 if rng.random() < 0.5 else None  # some come from survey comments
        request = rng.randint(1, 200) if rng.random() < 0.3 else None
        insights.append((i, rng.randint(1, ACCOUNTS), response, "call", "other", "feedback",
                         request, at))  # fmt: skip
        for theme in rng.sample(THEMES, rng.randint(1, 2)):
            tags.append((i, theme, at))
    connection.executemany(
        "INSERT INTO insights (id, account_id, response_id, source, type, text,"
        " feature_request_id, created_at) VALUES (?,?,?,?,?,?,?,?)",
        insights,
    )
    connection.executemany(
        "INSERT INTO theme_tags (insight_id, theme, created_at) VALUES (?,?,?)", tags
    )


async def _upgrade(database: Database) -> None:
    await database.upgrade()
    await database.dispose()


async def _measure(url: str, rounds: int) -> dict[str, float]:
    """Alternate rounds of the digest and the GROUP BY on one engine; best and median."""
    database = Database(url)
    await database.upgrade()  # a cached file built before a new migration gets it here
    digest_times, baseline_times = [], []
    try:
        for _ in range(rounds):
            started = time.perf_counter()
            digest = await compute_digest(database, as_of=AS_OF, today=AS_OF.date())
            digest_times.append(time.perf_counter() - started)
            async with database.session() as session:
                started = time.perf_counter()
                (await session.execute(text(BASELINE))).all()
                baseline_times.append(time.perf_counter() - started)
    finally:
        await database.dispose()
    return {
        "digest_best": min(digest_times),
        "digest_median": statistics.median(digest_times),
        "digest_first": digest_times[0],
        "baseline_best": min(baseline_times),
        "baseline_median": statistics.median(baseline_times),
        "nps_90d": digest.quarter.nps.nps or 0.0,
        "answers_90d": digest.quarter.nps.total,
        "peak_mb": peak_mb(),
    }


# Loaded in this order, so every foreign key finds its row.
TABLES = (
    "accounts", "contacts", "invitations", "responses", "cases",
    "feature_requests", "insights", "theme_tags",
)  # fmt: skip


async def _load_postgres(url: str, source: Path, rebuild: bool) -> bool:
    """Copy the SQLite data set into PostgreSQL unless it is there already; True if copied."""
    import asyncpg  # only this bench option needs the driver directly

    database = Database(url)
    if rebuild:
        async with database.engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    await database.upgrade()
    async with database.session() as session:
        count = (await session.execute(text("SELECT count(*) FROM responses"))).scalar_one()
        tickets = "SELECT count(*) FROM responses WHERE agent IS NOT NULL"  # since VERSION 4
        labelled = (await session.execute(text(tickets))).scalar_one()
    await database.dispose()
    if count == RESPONSES and labelled:
        return False
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await connection.execute(f"TRUNCATE {', '.join(TABLES)} CASCADE")
        rows = sqlite3.connect(source)
        for table in TABLES:
            await _copy_table(connection, rows, table)
        rows.close()
        await connection.execute("VACUUM ANALYZE")  # what autovacuum does within the minute
    finally:
        await connection.close()
    return True


async def _copy_table(connection: Any, source: sqlite3.Connection, table: str) -> None:
    """COPY one table, its values converted to the PostgreSQL column types."""
    types = dict(
        await connection.fetch(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name = $1",
            table,
        )
    )
    cursor = source.execute(f'SELECT * FROM "{table}"')
    columns = [d[0] for d in cursor.description]
    convert = [_converter(types[column]) for column in columns]
    while batch := cursor.fetchmany(BATCH):
        records = [tuple(f(v) for f, v in zip(convert, row, strict=True)) for row in batch]
        await connection.copy_records_to_table(table, records=records, columns=columns)


def _converter(data_type: str) -> Any:
    def timestamp(value: Any) -> Any:
        return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)

    def day(value: Any) -> Any:
        return None if value is None else date.fromisoformat(value)

    def boolean(value: Any) -> Any:
        return None if value is None else bool(value)

    if data_type.startswith("timestamp"):
        return timestamp
    if data_type == "date":
        return day
    if data_type == "boolean":
        return boolean
    return lambda value: value


def main(options: argparse.Namespace) -> int:
    if options.measure:
        print(json.dumps(asyncio.run(_measure(options.measure, options.rounds))))
        return 0
    if options.rebuild or not CACHE.exists():
        started = time.perf_counter()
        build(CACHE)
        print(f"built {CACHE} in {time.perf_counter() - started:.0f} s")
    kinds = chosen(options)
    print_load("before")
    results = [_one(options, kind) for kind in kinds]
    print_load("after")
    if len(kinds) > 1:
        print("medians over the rounds, side by side:")
        side_by_side(
            [
                ("digest s", [f"{f['digest_median']:.3f}" for f, _ in results]),
                ("one GROUP BY s", [f"{f['baseline_median']:.3f}" for f, _ in results]),
                (f"ratio (<= {TARGET_RATIO:g})", [f"{ratio:.2f}" for _, ratio in results]),
                ("peak RSS MB", [f"{f['peak_mb']:.0f}" for f, _ in results]),
            ],
            kinds,
        )
    met = all(
        figures["digest_median"] < TARGET_SECONDS
        and figures["peak_mb"] < TARGET_MB
        and ratio <= TARGET_RATIO
        for figures, ratio in results
    )
    return 0 if met else 1


def _one(options: argparse.Namespace, kind: str) -> tuple[dict[str, float], float]:
    """Time the digest on one database in a fresh process; print its figures."""
    url, where = f"sqlite+aiosqlite:///{CACHE}", f"SQLite, {CACHE.stat().st_size / 1e6:.0f} MB"
    if kind == "postgresql":
        url, where = options.postgres_url, "PostgreSQL"
        started = time.perf_counter()
        if asyncio.run(_load_postgres(url, CACHE, options.rebuild)):
            print(f"copied {CACHE} into PostgreSQL in {time.perf_counter() - started:.0f} s")
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
    ratio = figures["digest_median"] / figures["baseline_median"]
    print(
        f"{RESPONSES:,} responses, {CONTACTS:,} contacts, {ACCOUNTS:,} accounts over two years"
        f" ({where}); {options.rounds} rounds"
    )
    print(
        f"digest: median {figures['digest_median']:.3f} s, best {figures['digest_best']:.3f} s,"
        f" first {figures['digest_first']:.3f} s (target < {TARGET_SECONDS:g} s)"
    )
    print(
        f"one GROUP BY over all responses: median {figures['baseline_median']:.3f} s,"
        f" best {figures['baseline_best']:.3f} s"
    )
    print(f"peak RSS of the measuring process: {figures['peak_mb']:.0f} MB (target < {TARGET_MB})")
    print(f"(NPS over 90 days {figures['nps_90d']:+.1f} from {figures['answers_90d']:,} answers)")
    print(
        f"digest {figures['digest_median']:.3f} s (target < {TARGET_SECONDS:g} s); "
        f"ratio digest / GROUP BY (medians): {ratio:.2f} (target <= {TARGET_RATIO:g})",
        flush=True,
    )
    return figures, ratio


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    add_options(parser, both=True)
    sys.exit(main(parser.parse_args()))
