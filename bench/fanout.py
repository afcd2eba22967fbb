"""Campaign fan-out: 5,000 survey DMs against an emulator capped at 20 chat.postMessage/s
that answers 5% of them with 503. Prints delivered per second as a share of the cap
(target ≥ 0.9, the median of 5 rounds), duplicates (0), lost (0) and the delivering
process's peak RSS (target < 150 MB). Each round has its own database and emulator.

The timed part is `--workers` `python -m bot worker` processes (default: 2 on PostgreSQL,
1 on SQLite) started together and sharing the cap, until every invitation is marked sent
(a post Slack refused three times waits its backoff, and is then sent); `--workers 0`
times one `python -m bot run-due` pass instead. The cap is the reference.

    python bench/fanout.py [--database sqlite|postgresql] [--workers N] [--contacts 5000]
                           [--rounds 5]
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

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._db import add_options, fresh_url  # noqa: E402
from bench.ack import TOKEN, _seed  # noqa: E402
from bot.core.config import Settings  # noqa: E402
from bot.core.runtime import build_runtime  # noqa: E402
from bot.domain.vocabulary import InvitationStatus
from bot.services.surveys import start_relationship_campaign  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Invitation


async def _prepare(database_url: str, api_url: str, contacts: int) -> None:
    db = Database(database_url)
    await db.upgrade()
    await _seed(db, contacts)
    settings = Settings(slack_bot_token=TOKEN, slack_api_url=api_url, database_url=database_url)
    rt = build_runtime(settings, db=db)
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    await db.dispose()


async def _sent(database_url: str) -> int:
    db = Database(database_url)
    async with db.session() as session:
        query = select(func.count(Invitation.id)).where(Invitation.status == InvitationStatus.SENT)
        count = (await session.execute(query)).scalar_one()
    await db.dispose()
    return count


def _deliver(root: Path, env: dict[str, str], database_url: str, workers: int, total: int) -> float:
    """`workers` worker processes until every invitation is sent; with 0, one `run-due`.

    Returns the largest peak RSS of those processes, in MB (the kernel's own figure for each,
    not the emulator's).
    """
    command = [sys.executable, "-m", "bot", "worker" if workers else "run-due"]
    running = [
        subprocess.Popen(command, env=env, cwd=root, stdout=subprocess.DEVNULL)
        for _ in range(max(1, workers))
    ]
    if not workers:
        [run_due] = running
        peak = _reaped(run_due)
        if run_due.returncode:
            raise RuntimeError(f"run-due failed ({run_due.returncode})")
        return peak
    peaks: list[float] = []
    try:
        while asyncio.run(_sent(database_url)) < total:
            if any(_ended(worker) for worker in running):
                raise RuntimeError("a worker stopped before the campaign was sent")
            time.sleep(0.5)
    finally:
        for worker in running:
            worker.terminate()
            peaks.append(_reaped(worker))
    return max(peaks)


def _ended(process: subprocess.Popen[bytes]) -> bool:
    """Whether `process` has exited, leaving it to `_reaped` (which reads its peak RSS)."""
    flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
    return os.waitid(os.P_PID, process.pid, flags) is not None


def _reaped(process: subprocess.Popen[bytes]) -> float:
    """Wait for `process` to end (at once if it already has); its peak RSS in MB."""
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024


@dataclass
class Round:
    seconds: float  # until every invitation was marked sent
    delivered: int  # distinct DMs the emulator holds
    duplicates: int
    lost: int
    sent: int  # invitations marked sent
    refused: dict[str, int]  # emulator answers by status, e.g. {"503": 250}
    steady: float | None  # DMs per second over the first 95%, without the last retries
    peak_mb: float  # the largest peak RSS of a delivering process


def one_round(options: argparse.Namespace, workers: int) -> Round:
    """A fresh database and emulator, the campaign prepared, then delivered and counted."""
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    with tempfile.TemporaryDirectory() as tmp:
        database_url = fresh_url(options, Path(tmp), "fanout")
        emulator = subprocess.Popen(
            [
                sys.executable,
                "bench/_emulator.py",
                "--users",
                str(options.contacts),
                "--cap",
                str(options.cap),
                "--burst",
                "2",
                "--fail-503",
                str(options.fail_503),
                *(["--trace", options.trace] if options.trace else []),
            ],
            env=env,
            cwd=root,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert emulator.stdout is not None
        api_url = emulator.stdout.readline().strip()
        try:
            asyncio.run(_prepare(database_url, api_url, options.contacts))
            run_env = env | {
                "SLACK_BOT_TOKEN": TOKEN,
                "SLACK_API_URL": api_url,
                "DATABASE_URL": database_url,
                "LOG_LEVEL": "ERROR",
            }
            started = time.perf_counter()
            peak_mb = _deliver(root, run_env, database_url, workers, options.contacts)
            elapsed = time.perf_counter() - started
            sent = asyncio.run(_sent(database_url))
        finally:
            emulator.terminate()
            summary = json.loads(emulator.stdout.readline() or "{}")
            emulator.wait(timeout=30)
    dms = summary.get("dms", {})
    posted = summary.get("posted_at", [])
    steady = None
    if len(posted) > 20:
        first = posted[: int(len(posted) * 0.95)]
        steady = (len(first) - 1) / (first[-1] - first[0])
    return Round(
        seconds=elapsed,
        delivered=len(dms),
        duplicates=sum(count - 1 for count in dms.values()),
        lost=options.contacts - len(dms),
        sent=sent,
        refused=summary.get("by_status", {}),
        steady=steady,
        peak_mb=peak_mb,
    )


def main(options: argparse.Namespace) -> int:
    workers = options.workers
    if workers is None:
        workers = 2 if options.database == "postgresql" else 1
    senders = "one run-due" if workers == 0 else f"{workers} worker(s)"
    kind = "PostgreSQL" if options.database == "postgresql" else "SQLite"
    print(
        f"{options.contacts} contacts, cap {options.cap:g} chat.postMessage/s, "
        f"{options.fail_503:.0%} answered 503 ({kind}, {senders}), {options.rounds} rounds",
        flush=True,
    )
    rounds = []
    for n in range(1, options.rounds + 1):
        result = one_round(options, workers)
        rounds.append(result)
        steady = "-" if result.steady is None else f"{result.steady / options.cap:.2f}"
        print(
            f"round {n}: {result.delivered / result.seconds / options.cap:.2f} of the cap "
            f"({result.delivered} in {result.seconds:.1f} s; first 95% at {steady}); "
            f"{result.refused.get('429', 0)} x 429, {result.refused.get('503', 0)} x 503 "
            f"retried; duplicates {result.duplicates}, lost {result.lost}, "
            f"marked sent {result.sent}; peak RSS {result.peak_mb:.0f} MB",
            flush=True,
        )
    peak_mb = max(r.peak_mb for r in rounds)
    print(f"peak RSS of a delivering process: {peak_mb:.0f} MB (target < 150 MB)")
    duplicates = sum(r.duplicates for r in rounds)
    lost = sum(r.lost for r in rounds)
    print(f"duplicates {duplicates}, lost {lost} (all rounds; target 0 and 0)")
    share = statistics.median(r.delivered / r.seconds / options.cap for r in rounds)
    print(
        f"delivered per second: {share:.2f} of the cap (median of {len(rounds)} rounds; "
        f"target >= 0.9)"
    )
    return 0 if duplicates == 0 and lost == 0 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=5000)
    parser.add_argument("--cap", type=float, default=20)
    parser.add_argument("--fail-503", type=float, default=0.05)
    parser.add_argument("--trace", help="write each chat.postMessage's (time, status) here")
    parser.add_argument(
        "--workers", type=int, help="default: 2 on PostgreSQL, 1 on SQLite; 0: one run-due"
    )
    parser.add_argument("--rounds", type=int, default=5)
    add_options(parser)
    sys.exit(main(parser.parse_args()))
