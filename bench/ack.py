"""How fast a rating tap is acked and stored: `serve` against a bare Bolt app that only acks.

2,000 taps at concurrency 50 go to each server over real HTTP, signed like Slack's. The
app under test records every tap (SQLite, or PostgreSQL with `--database postgresql`) and
updates the DM through the emulator (in its own process); the floor does nothing but ack.
Rounds alternate between the two, each starting once `serve` has finished the work of the
last (its DM updates), so neither measures the other's leftovers. Prints p50 / p99 and
their ratio (target <= 1.5), how long after the last ack every DM was updated (no target),
then, last, how long after the last ack every tap was stored (targets: 3 s on SQLite, 2 s
on PostgreSQL); medians over the rounds.

With VOC_BENCH_POSTGRES_URL set (or `--database both`) it runs on SQLite, then on
PostgreSQL, and prints the two side by side; the load average is printed before and after.

    python bench/ack.py [--database sqlite|postgresql|both] [--taps 2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._db import add_options, chosen, fresh_url, label, side_by_side  # noqa: E402
from bench._rounds import print_load  # noqa: E402
from bot.core.config import Settings  # noqa: E402
from bot.core.runtime import build_runtime  # noqa: E402
from bot.scheduler import drain  # noqa: E402
from bot.services.surveys import start_relationship_campaign  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Account, Contact, Invitation, Response  # noqa: E402
from tests.payloads import block_action, interactive_body, signed_headers  # noqa: E402

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
TARGET_RATIO = 1.5
TARGET_STORED = {"SQLite": 3.0, "PostgreSQL": 2.0}  # seconds after the last ack


def _start(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line:
        raise RuntimeError(f"{args} did not start")
    return process, line.split()[-1]


async def _seed(db: Database, count: int) -> None:
    async with db.transaction() as session:
        account = Account(name="Bench", name_key="bench", segment="smb")
        session.add(account)
        await session.flush()
        session.add_all(
            Contact(
                email=f"c{i}@bench.test",
                account_id=account.id or 0,
                slack_user_id=f"U{i:06d}",
                tz="UTC",
                locale="en-US",
            )
            for i in range(count)
        )


async def _prepare(database_url: str, api_url: str, count: int) -> list[dict]:
    settings = Settings(
        slack_bot_token=TOKEN,
        slack_signing_secret=SECRET,
        slack_api_url=api_url,
        database_url=database_url,
    )
    db = Database(database_url)
    await db.upgrade()
    await _seed(db, count)
    # Seeding only: the invitations go out as fast as the emulator answers, not at Slack's pace.
    rt = build_runtime(settings, db=db, sends_per_second=100_000, send_burst=1000)
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    await drain(rt)
    async with db.session() as session:
        rows = (await session.execute(select(Invitation, Contact).join(Contact))).all()
    await db.dispose()
    return [
        block_action(
            user=contact.slack_user_id or "",
            action_id="survey.rate.9",
            value=f"{invitation.id}:9",
            channel=invitation.dm_channel or "",
            message_ts=invitation.message_ts or "",
            response_url=api_url.replace("/api/", "/response/bench"),
        )
        for invitation, contact in rows
    ]


async def _hammer(url: str, payloads: list[dict], concurrency: int) -> list[float]:
    latencies: list[float] = []
    queue: asyncio.Queue[dict] = asyncio.Queue()
    for payload in payloads:
        queue.put_nowait(payload)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            while not queue.empty():
                body = interactive_body(queue.get_nowait())
                headers = signed_headers(SECRET, body)
                started = time.perf_counter()
                async with session.post(url, data=body.encode(), headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"tap answered {response.status}")
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def _count_responses(database_url: str) -> int:
    db = Database(database_url)
    async with db.session() as session:
        count = (await session.execute(select(func.count(Response.id)))).scalar_one()
    await db.dispose()
    return count


async def _wait_recorded(database_url: str, taps: int, limit: float = 120.0) -> float | None:
    """Seconds from the last ack until every tap is recorded (None: not within `limit`)."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        if await _count_responses(database_url) >= taps:
            return time.perf_counter() - started
        await asyncio.sleep(0.1)
    return None


async def _wait_settled(url: str, limit: float = 120.0) -> float | None:
    """Seconds until `serve` has no acked work left (its DM updates done), per /metrics."""
    started = time.perf_counter()
    metrics = url.replace("/slack/events", "/metrics")
    async with aiohttp.ClientSession() as session:
        while time.perf_counter() - started < limit:
            async with session.get(metrics) as response:
                text = await response.text()
            running = next(
                line for line in text.splitlines() if line.startswith("voc_acked_work_running ")
            )
            if float(running.split()[-1]) == 0:
                return time.perf_counter() - started
            await asyncio.sleep(0.1)
    return None


async def measure(
    taps: int, concurrency: int, rounds: int, database_url: str
) -> tuple[int, list[str]]:
    """One database's run, printed; its exit status and its column for the side-by-side table."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    total = taps * rounds
    emulator, api_url = _start([sys.executable, "bench/_emulator.py", "--users", str(total)], env)
    servers: list[subprocess.Popen[str]] = [emulator]
    try:
        payloads = await _prepare(database_url, api_url, total)
        env |= {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": api_url,
            "DATABASE_URL": database_url,
            "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        }
        urls = {}
        for name, command in (
            ("serve", [sys.executable, "-m", "bot", "serve", "--no-scheduler", "--port", "0"]),
            ("floor", [sys.executable, "bench/_floor.py"]),
        ):
            server, url = _start(command, env)
            servers.append(server)
            urls[name] = url.replace("0.0.0.0", "127.0.0.1")
        warm_up = [dict(p, actions=[dict(p["actions"][0], value="0:9")]) for p in payloads[:50]]
        for url in urls.values():
            await _hammer(url, warm_up, 10)  # first auth.test, imports, caches
        p99s: dict[str, list[float]] = {"serve": [], "floor": []}
        p50s: dict[str, list[float]] = {"serve": [], "floor": []}
        lags: list[float | None] = []
        updated: list[float | None] = []  # every DM updated, seconds after the last ack
        for round_ in range(rounds):
            batch = payloads[round_ * taps : (round_ + 1) * taps]
            for name in ("serve", "floor"):
                latencies = await _hammer(urls[name], batch, concurrency)
                p50s[name].append(_percentile(latencies, 50))
                p99s[name].append(_percentile(latencies, 99))
                if name == "serve":  # the next round starts once serve is idle again
                    started = time.perf_counter()
                    lags.append(await _wait_recorded(database_url, (round_ + 1) * taps))
                    settled = await _wait_settled(urls[name])
                    updated.append(None if settled is None else time.perf_counter() - started)
        recorded = await _count_responses(database_url)
    finally:
        for server in reversed(servers):
            server.terminate()
            server.communicate(timeout=30)  # reads what it prints: a full pipe would block it
    print(f"{rounds} rounds of {taps} taps at concurrency {concurrency} ({label(database_url)})")
    print(f"{'server':<8}{'p50 ms':>10}{'p99 ms':>10}   (median over rounds)")
    for name in ("serve", "floor"):
        p50, p99 = statistics.median(p50s[name]) * 1000, statistics.median(p99s[name]) * 1000
        print(f"{name:<8}{p50:>10.1f}{p99:>10.1f}")
    ratios = [s / f for s, f in zip(p99s["serve"], p99s["floor"], strict=True)]
    pairs = zip(p99s["serve"], p99s["floor"], strict=True)
    print(
        "p99 ms per round, serve/floor: "
        + ", ".join(f"{s * 1000:.0f}/{f * 1000:.0f}" for s, f in pairs)
    )
    ratio = statistics.median(ratios)
    verdict = "meets" if ratio <= TARGET_RATIO else "misses"
    print(
        f"p99 ratio serve/floor: {ratio:.2f} (rounds: {', '.join(f'{r:.2f}' for r in ratios)}; "
        f"{verdict} the {TARGET_RATIO}x target)"
    )
    shown = ", ".join("-" if lag is None else f"{lag:.1f}" for lag in lags)
    print(f"responses recorded: {recorded} of {total}")
    done = statistics.median(120.0 if lag is None else lag for lag in updated)
    print(f"every DM updated after the last ack: {done:.1f} s (median; not a target)")
    target = TARGET_STORED[label(database_url)]
    stored = statistics.median(120.0 if lag is None else lag for lag in lags)
    verdict = "meets" if stored <= target else "misses"
    print(
        f"every tap stored after the last ack: {stored:.1f} s (median; rounds: {shown}; "
        f"{verdict} the {target:g} s target)"
    )
    serve_p99 = statistics.median(p99s["serve"]) * 1000
    floor_p99 = statistics.median(p99s["floor"]) * 1000
    column = [f"{serve_p99:.1f}", f"{floor_p99:.1f}", f"{ratio:.2f}", f"{stored:.1f}"]
    return (0 if recorded == total else 1), column


def main(options: argparse.Namespace) -> int:
    kinds = chosen(options)
    print_load("before")
    columns, status = [], 0
    for kind in kinds:
        with tempfile.TemporaryDirectory() as directory:
            url = fresh_url(
                argparse.Namespace(**{**vars(options), "database": kind}), Path(directory), "ack"
            )
            code, column = asyncio.run(
                measure(options.taps, options.concurrency, options.rounds, url)
            )
        status = status or code
        columns.append(column)
    print_load("after")
    if len(kinds) > 1:
        print("medians over the rounds, side by side:")
        names = ["serve p99 ms", "floor p99 ms", f"p99 ratio (<= {TARGET_RATIO})", "stored after s"]
        side_by_side([(name, [c[n] for c in columns]) for n, name in enumerate(names)], kinds)
    return status


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    add_options(parser, both=True)
    sys.exit(main(parser.parse_args()))
