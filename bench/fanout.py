"""Campaign fan-out: 5,000 survey DMs against an emulator capped at 20 chat.postMessage/s
that answers 5% of them with 503. Prints delivered per second as a share of the cap
(target ≥ 0.9), duplicates (0), lost (0) and the delivering process's peak RSS
(target < 150 MB).

On SQLite the timed part is one `python -m bot run-due`. With `--database postgresql` it
is `--workers` (default 2) `python -m bot worker` processes started together and sharing
the cap, timed until every invitation is marked sent; the cap is the reference.

    python bench/fanout.py [--database sqlite|postgresql] [--workers N] [--contacts 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._db import add_options, fresh_url, label  # noqa: E402
from bench.ack import TOKEN, _seed  # noqa: E402
from bot.core.config import Settings  # noqa: E402
from bot.core.runtime import build_runtime  # noqa: E402
from bot.services.surveys import start_relationship_campaign  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Invitation, InvitationStatus  # noqa: E402


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


def _deliver(root: Path, env: dict[str, str], database_url: str, workers: int, total: int) -> None:
    """`run-due` once, or `workers` worker processes until every invitation is sent."""
    if workers <= 1:
        command = [sys.executable, "-m", "bot", "run-due"]
        subprocess.run(command, env=env, cwd=root, check=True, stdout=subprocess.DEVNULL)
        return
    running = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "worker"], env=env, cwd=root, stdout=subprocess.DEVNULL
        )
        for _ in range(workers)
    ]
    try:
        while asyncio.run(_sent(database_url)) < total:
            if any(worker.poll() is not None for worker in running):
                raise RuntimeError("a worker stopped before the campaign was sent")
            time.sleep(0.5)
    finally:
        for worker in running:
            worker.terminate()
            worker.wait(timeout=60)


def main(options: argparse.Namespace) -> int:
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    workers = options.workers or (2 if options.database == "postgresql" else 1)
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
            _deliver(root, run_env, database_url, workers, options.contacts)
            elapsed = time.perf_counter() - started
            peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            sent = asyncio.run(_sent(database_url))
        finally:
            emulator.terminate()
            summary = json.loads(emulator.stdout.readline() or "{}")
            emulator.wait(timeout=30)
    dms = summary.get("dms", {})
    duplicates = sum(count - 1 for count in dms.values())
    lost = options.contacts - len(dms)
    rate = len(dms) / elapsed
    senders = "run-due" if workers <= 1 else f"{workers} workers"
    print(
        f"{options.contacts} contacts, cap {options.cap:g} chat.postMessage/s, "
        f"{options.fail_503:.0%} answered 503 ({label(database_url)}, {senders})"
    )
    by_status = summary.get("by_status", {})
    print(
        f"refused by the emulator, then retried: {by_status.get('429', 0)} x 429 (rate limit), "
        f"{by_status.get('503', 0)} x 503"
    )
    print(f"duplicates {duplicates}, lost {lost}, invitations marked sent {sent}")
    print(f"peak RSS of a delivering process: {peak_mb:.0f} MB (target < 150 MB)")
    posted = summary.get("posted_at", [])
    if len(posted) > 20:  # the steady sending, without the last few 503'd posts' retries
        first = posted[: int(len(posted) * 0.95)]
        pace = (len(first) - 1) / (first[-1] - first[0])
        print(f"first 95% of the DMs at {pace:.1f}/s = {pace / options.cap:.2f} of the cap")
    print(
        f"delivered {len(dms)} in {elapsed:.1f} s: {rate:.1f}/s = {rate / options.cap:.2f} "
        f"of the cap (target >= 0.9)"
    )
    return 0 if duplicates == 0 and lost == 0 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=5000)
    parser.add_argument("--cap", type=float, default=20)
    parser.add_argument("--fail-503", type=float, default=0.05)
    parser.add_argument("--trace", help="write each chat.postMessage's (time, status) here")
    parser.add_argument("--workers", type=int, default=0, help="default: 2 on PostgreSQL")
    add_options(parser)
    sys.exit(main(parser.parse_args()))
