"""Crash recovery: a `worker` killed with SIGKILL in the middle of a 1,000-contact campaign
and restarted at once; seconds from the kill until every contact has exactly one survey.

The emulator runs in its own process, capped at 20 chat.postMessage/s (Slack's pace for
DMs), so the campaign takes about 50 s without a crash: that uninterrupted run is the
reference, measured first in the same run. The worker uses the default `SEND_LEASE` and
`SCHEDULER_TICK` unless they are set in the environment. Prints, per round, when the kill
came, duplicates and lost surveys (both must be 0); last, the median seconds from the kill
until every survey was out once (target <= 70 s).

    python bench/crash.py [--database sqlite|postgresql] [--contacts 1000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._db import add_options, fresh_url  # noqa: E402
from bench._rounds import print_load  # noqa: E402
from bench.ack import TOKEN  # noqa: E402
from bench.fanout import _prepare, _sent  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CAP = 20.0
TARGET_SECONDS = 70.0
LIMIT_SECONDS = 600.0


@dataclass
class Round:
    seconds: float  # from the kill (or, uncrashed, from the start) until all were sent
    sent_at_kill: int
    duplicates: int
    lost: int


def _wait_for(database_url: str, sent: int) -> float:
    started = time.perf_counter()
    while asyncio.run(_sent(database_url)) < sent:
        if time.perf_counter() - started > LIMIT_SECONDS:
            raise RuntimeError(f"fewer than {sent} surveys sent after {LIMIT_SECONDS:g} s")
        time.sleep(0.2)
    return time.perf_counter() - started


def _worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "worker"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def one_round(options: argparse.Namespace, directory: Path, kill_at: int | None) -> Round:
    """A campaign through `worker`; with `kill_at`, SIGKILL once that many were sent."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    database_url = fresh_url(options, directory, f"crash-{time.monotonic_ns()}")
    emulator = subprocess.Popen(
        [sys.executable, "bench/_emulator.py", "--users", str(options.contacts)]
        + ["--cap", str(CAP), "--burst", "2"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert emulator.stdout is not None
    api_url = emulator.stdout.readline().strip()
    run_env = env | {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": api_url,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "ERROR",
    }
    workers: list[subprocess.Popen[bytes]] = []
    try:
        asyncio.run(_prepare(database_url, api_url, options.contacts))
        workers.append(_worker(run_env))
        sent_at_kill = 0
        if kill_at is not None:
            _wait_for(database_url, kill_at)
            workers[0].kill()  # SIGKILL: no cleanup, leases left behind
            workers[0].wait()
            sent_at_kill = asyncio.run(_sent(database_url))
            workers.append(_worker(run_env))  # restarted at once
        seconds = _wait_for(database_url, options.contacts)
        time.sleep(2)  # a second DM for someone would show up here
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=60)
        emulator.terminate()
        summary = json.loads(emulator.stdout.readline() or "{}")
        emulator.wait(timeout=30)
    dms = summary.get("dms", {})
    duplicates = sum(count - 1 for count in dms.values())
    return Round(seconds, sent_at_kill, duplicates, options.contacts - len(dms))


def main(options: argparse.Namespace) -> int:
    kill_at = options.contacts // 4
    print_load("before")
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        reference = one_round(options, directory, None)
        rounds = [one_round(options, directory, kill_at) for _ in range(options.rounds)]
    print_load("after")
    kind = "PostgreSQL" if options.database == "postgresql" else "SQLite"
    print(f"{options.contacts} contacts at {CAP:g} DMs/s ({kind}), `worker` with default lease")
    print(
        f"reference, no crash: all sent {reference.seconds:.1f} s after start"
        f" (duplicates {reference.duplicates}, lost {reference.lost})"
    )
    for n, result in enumerate(rounds, 1):
        print(
            f"round {n}: killed after {result.sent_at_kill} sent; all sent once "
            f"{result.seconds:.1f} s after the kill; duplicates {result.duplicates}, "
            f"lost {result.lost}"
        )
    failures = sum(r.duplicates + r.lost for r in [reference, *rounds])
    median = statistics.median(r.seconds for r in rounds)
    verdict = "meets" if median <= TARGET_SECONDS else "misses"
    print(
        f"every contact had exactly one survey {median:.1f} s after the kill (median of "
        f"{len(rounds)}; {verdict} the {TARGET_SECONDS:g} s target)"
    )
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    add_options(parser)
    sys.exit(main(parser.parse_args()))
