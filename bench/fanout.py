"""Campaign fan-out: survey DMs against an emulator capped at 20 chat.postMessage/s that
answers 5% of them with 503. Prints delivered per second as a share of the cap, measured
from the start to the LAST survey posted (target >= 0.9, the median of the rounds),
duplicates (0), lost (0) and each delivering process's peak RSS (target < 150 MB), with
the machine's load average. Each round has its own database and emulator.

The timed part is `--workers` `python -m bot worker` processes (default 2, as the docs
advise on either database) started together and sharing the cap, until every invitation is
marked sent (a post Slack answered 503 is looked up by its metadata a few seconds later
and, when not there, posted again); `--workers 0` times one `python -m bot run-due` pass instead.
`--lost-answers 0.02` makes the emulator carry out 2% of the posts and answer 503 anyway
(the answer lost: the look-up must find them, never a second DM). `--kill-one` kills one
worker with SIGKILL once half the invitations are sent; the others take over its leased
rows after the lease (SEND_LEASE) and the figures still count every survey.

    python bench/fanout.py [--database sqlite|postgresql] [--workers N] [--invitations 5000]
                           [--rounds 3] [--kill-one] [--lost-answers 0.02]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._db import add_options, fresh_url  # noqa: E402
from bench._memory import peak_mb  # noqa: E402
from bench._rounds import median, print_load, rounds_text  # noqa: E402
from bench.ack import TOKEN, _seed  # noqa: E402
from bot.core.config import Settings  # noqa: E402
from bot.core.runtime import SURVEY_SENDS_PER_SECOND, build_runtime  # noqa: E402
from bot.domain.vocabulary import InvitationStatus  # noqa: E402
from bot.services.surveys import start_relationship_campaign  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Invitation  # noqa: E402

TARGET_SHARE = 0.9
TARGET_MB = 150


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


@dataclass
class Delivery:
    peaks_mb: list[float] = field(default_factory=list)  # each process's peak RSS
    killed_at: float | None = None  # monotonic time of the SIGKILL
    killed_mb: float | None = None  # the killed worker's peak RSS


def _deliver(
    root: Path, env: dict[str, str], database_url: str, options: argparse.Namespace, workers: int
) -> Delivery:
    """`workers` worker processes until every invitation is sent; with 0, one `run-due`.

    Each process's peak RSS is its own (`VmHWM`, read just before it is stopped), not the
    bench's, which `ru_maxrss` would report for a child forked after the seeding.
    """
    total = options.invitations
    command = [sys.executable, "-m", "bot", "worker" if workers else "run-due"]
    if options.cap != SURVEY_SENDS_PER_SECOND:  # the app's pace, matched to another cap
        command = [sys.executable, "bench/_worker.py", "--rate", str(options.cap)]
    running = [
        subprocess.Popen(command, env=env, cwd=root, stdout=subprocess.DEVNULL)
        for _ in range(max(1, workers))
    ]
    result = Delivery()
    if not workers:
        [run_due] = running
        peak = 0.0
        while run_due.poll() is None:  # VmHWM is gone once it exits: read it meanwhile
            peak = max(peak, peak_mb(run_due.pid))
            time.sleep(0.5)
        result.peaks_mb.append(peak)
        if run_due.returncode:
            raise RuntimeError(f"run-due failed ({run_due.returncode})")
        return result
    try:
        while (sent := asyncio.run(_sent(database_url))) < total:
            if options.kill_one and result.killed_at is None and sent >= total / 2:
                victim = running.pop()
                result.killed_mb = peak_mb(victim.pid)
                victim.send_signal(signal.SIGKILL)
                result.killed_at = time.monotonic()
                victim.wait()
            if any(worker.poll() is not None for worker in running):
                raise RuntimeError("a worker stopped before the campaign was sent")
            time.sleep(0.5)
    finally:
        for worker in running:
            result.peaks_mb.append(peak_mb(worker.pid))
            worker.terminate()
            worker.wait()
    return result


@dataclass
class Round:
    seconds: float  # from the workers' start to the last survey posted
    delivered: int  # distinct DMs the emulator holds
    duplicates: int
    lost: int
    sent: int  # invitations marked sent
    refused: dict[str, int]  # emulator answers by status, e.g. {"503": 250}
    delivery: Delivery
    looked_up: int  # conversations.history calls: lost answers looked up by metadata
    after_kill: float | None  # seconds from the SIGKILL to the last survey

    @property
    def share(self) -> float:
        """DMs per second to the last survey, before dividing by the cap."""
        return self.delivered / self.seconds if self.seconds > 0 else 0.0


def one_round(options: argparse.Namespace, workers: int) -> Round:
    """A fresh database and emulator, the campaign prepared, then delivered and counted."""
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    total = options.invitations
    with tempfile.TemporaryDirectory() as tmp:
        database_url = fresh_url(options, Path(tmp), "fanout")
        emulator = subprocess.Popen(
            [
                sys.executable,
                "bench/_emulator.py",
                "--users",
                str(total),
                "--cap",
                str(options.cap),
                "--burst",
                "2",
                "--fail-503",
                str(options.fail_503),
                "--lose-503",
                str(options.lost_answers),
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
            asyncio.run(_prepare(database_url, api_url, total))
            run_env = env | {
                "SLACK_BOT_TOKEN": TOKEN,
                "SLACK_API_URL": api_url,
                "DATABASE_URL": database_url,
                "LOG_LEVEL": "ERROR",
            }
            started = time.monotonic()  # CLOCK_MONOTONIC: the same clock as the emulator's
            delivery = _deliver(root, run_env, database_url, options, workers)
            sent = asyncio.run(_sent(database_url))
        finally:
            emulator.terminate()
            summary = json.loads(emulator.stdout.readline() or "{}")
            emulator.wait(timeout=30)
    dms = summary.get("dms", {})
    posted = summary.get("posted_at", [])
    last = posted[-1] if posted else started
    return Round(
        seconds=last - started,
        delivered=len(dms),
        duplicates=sum(count - 1 for count in dms.values()),
        lost=total - len(dms),
        sent=sent,
        refused=summary.get("by_status", {}),
        delivery=delivery,
        looked_up=summary.get("calls", {}).get("conversations.history", 0),
        after_kill=None if delivery.killed_at is None else last - delivery.killed_at,
    )


def main(options: argparse.Namespace) -> int:
    workers = options.workers
    if workers == 0 and options.cap != SURVEY_SENDS_PER_SECOND:
        print("--cap other than 20 needs --workers 1 or more", file=sys.stderr)
        return 2
    if options.kill_one and workers < 2:
        print("--kill-one needs --workers 2 or more: someone must take over", file=sys.stderr)
        return 2
    senders = "one run-due" if workers == 0 else f"{workers} worker(s)"
    kind = "PostgreSQL" if options.database == "postgresql" else "SQLite"
    lost_answers = f", {options.lost_answers:.0%} posted then answered 503"
    print(
        f"{options.invitations} invitations, cap {options.cap:g} chat.postMessage/s, "
        f"{options.fail_503:.0%} answered 503{lost_answers if options.lost_answers else ''} "
        f"({kind}, {senders}{', one killed -9 halfway' if options.kill_one else ''}), "
        f"{options.rounds} rounds",
        flush=True,
    )
    print_load("before")
    rounds = []
    for n in range(1, options.rounds + 1):
        result = one_round(options, workers)
        rounds.append(result)
        peaks = ", ".join(f"{mb:.0f}" for mb in result.delivery.peaks_mb)
        killed = ""
        if result.delivery.killed_mb is not None and result.after_kill is not None:
            killed = (
                f"; killed one at half ({result.delivery.killed_mb:.0f} MB), "
                f"last survey {result.after_kill:.1f} s later"
            )
        print(
            f"round {n}: {result.share / options.cap:.2f} of the cap to the last survey "
            f"({result.delivered} in {result.seconds:.1f} s); "
            f"{result.refused.get('429', 0)} x 429, {result.refused.get('503', 0)} x 503, "
            f"{result.looked_up} looked up; duplicates {result.duplicates}, lost {result.lost}, "
            f"marked sent {result.sent}; peak RSS per process {peaks} MB{killed}",
            flush=True,
        )
    print_load("after")
    peak_mb = max(mb for r in rounds for mb in r.delivery.peaks_mb)
    print(f"peak RSS of a delivering process: {peak_mb:.0f} MB (target < {TARGET_MB} MB)")
    duplicates = sum(r.duplicates for r in rounds)
    lost = sum(r.lost for r in rounds)
    print(f"duplicates {duplicates}, lost {lost} (all rounds; target 0 and 0)")
    shares = [r.share / options.cap for r in rounds]
    print(
        f"delivered per second to the last survey, as a share of the cap: "
        f"{rounds_text(shares)} (target >= {TARGET_SHARE})"
    )
    ok = duplicates == 0 and lost == 0 and median(shares) >= TARGET_SHARE
    return 0 if ok and peak_mb < TARGET_MB else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invitations", "--contacts", dest="invitations", type=int, default=5000)
    parser.add_argument(
        "--cap",
        type=float,
        default=SURVEY_SENDS_PER_SECOND,
        help="the emulator's chat.postMessage/s; other than 20, workers pace to it (_worker.py)",
    )
    parser.add_argument("--fail-503", type=float, default=0.05, help="share refused with 503")
    parser.add_argument(
        "--lost-answers", type=float, default=0.0, help="share posted, then answered 503"
    )
    parser.add_argument("--trace", help="write each chat.postMessage's (time, status) here")
    parser.add_argument(
        "--workers", type=int, default=2, help="the documented default, 2; 0: one run-due"
    )
    parser.add_argument("--kill-one", action="store_true", help="SIGKILL one worker halfway")
    parser.add_argument("--rounds", type=int, default=3)
    add_options(parser)
    sys.exit(main(parser.parse_args()))
