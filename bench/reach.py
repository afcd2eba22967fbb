"""Reach at scale: 20,000 contacts found in Slack against an emulator with Slack's tiers on.

12,000 contacts are members of the workspace (with 200 more members, a few deleted users
and bots), 3,000 are customers in 300 Slack Connect channels (10 each, with one of our CSMs
and the bot), and 5,000 are on email only. The emulator runs in its own process with
Slack's tier limits switched on (bot/devkit/emulator_tiers.py: Tier 2 users.list 20 a
minute, Tier 3 users.lookupByEmail 50, Tier 4 users.info and conversations.members 100,
bursts of `--burst` calls, 429 with Retry-After) on a clock `--scale` times real time;
the app's tier paces run at the same scale, so one emulator minute is 60/scale real seconds.

The bench runs `send` (as the CLI does: it waits up to REACH_SEND_WAIT, 10 s), then the
worker's reach job (`reach_tick`) until no invitation is `resolving`, with the scheduler's
delivery passes beside it until the first DM is posted. Prints:

- Slack calls used (429s included) vs the minimum the listings need: users.list pages,
  conversations.members pages, users.info for each external channel member (target ≤ 1.2×);
- time from `send` to the first DM, real seconds (target < 2 min);
- total resolution time vs the tier floor, both in emulator time: the floor is the
  slowest method's calls at its tier's rate, methods running side by side (target ≤ 1.3×);
  the database's own time is real time, counted ×scale too, so the ratio errs high;
- the bench process's peak RSS, and the machine's load average before and after.

    python bench/reach.py [--database sqlite|postgresql] [--scale 20] [--rounds 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._db import add_options, fresh_url, label  # noqa: E402
from bot.core.config import Settings  # noqa: E402
from bot.core.runtime import build_runtime  # noqa: E402
from bot.core.slack import tier_paces  # noqa: E402
from bot.devkit.emulator import SlackEmulator  # noqa: E402
from bot.domain.vocabulary import InvitationStatus  # noqa: E402
from bot.scheduler import reach_tick, run_due  # noqa: E402
from bot.services.surveys import start_relationship_campaign  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Account, Contact, Invitation  # noqa: E402

TOKEN = "xoxb-bench"
PARTNER = "TPARTNER"
LISTED = ("users.list", "conversations.members", "users.info", "users.lookupByEmail")


def _workspace(emulator: SlackEmulator, options: argparse.Namespace) -> dict[str, int]:
    """The workspace and its shared channels; the least calls the listings need."""
    for i in range(options.members):
        emulator.add_user(f"UM{i:06d}", email=f"m{i}@acme.test", guest=i % 20 == 0)
    for i in range(200):
        emulator.add_user(f"UO{i:06d}", email=f"o{i}@acme.test")  # members not surveyed
    for i in range(20):
        emulator.add_user(f"UD{i:06d}", email=f"d{i}@acme.test", deleted=True)
        emulator.add_user(f"UB{i:06d}", is_bot=True)
    channels = options.connect // options.per_channel
    for c in range(channels):
        people = []
        for k in range(options.per_channel):
            i = c * options.per_channel + k
            emulator.add_user(f"UX{i:06d}", email=f"x{i}@partner.test", team_id=PARTNER)
            people.append(f"UX{i:06d}")
        emulator.add_channel(f"CS{c:06d}", [f"UO{c % 200:06d}", *people])
    listed = options.members + 200 + 40 + 1  # the bot too
    return {
        "users.list": math.ceil(listed / 1000),
        "conversations.members": channels,
        "users.info": channels * options.per_channel,
    }


async def _serve_emulator(options: argparse.Namespace) -> None:
    emulator = SlackEmulator()
    minimum = _workspace(emulator, options)
    await emulator.start()
    tiers = emulator.limit_tiers(scale=options.scale, burst=options.burst)
    print(emulator.api_url, flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    calls = Counter(c.method for c in emulator.calls)
    first_dm = min((c.at for c in emulator.calls_to("chat.postMessage", ok=True)), default=None)
    summary = {
        "calls": calls,
        "refused": tiers.refused,
        "minimum": minimum,
        "floor": tiers.floor_seconds(minimum),
        "first_dm_at": first_dm,
    }
    print(json.dumps(summary), flush=True)
    await emulator.stop()


async def _seed(db: Database, options: argparse.Namespace) -> None:
    async with db.transaction() as session:
        contacts: list[Contact] = []

        async def account(name: str, channel: str | None = None) -> int:
            row = Account(name=name, name_key=name.lower(), segment="smb", slack_channel=channel)
            session.add(row)
            await session.flush()
            assert row.id is not None
            return row.id

        for start in range(0, options.members, 10):
            owner = await account(f"Member {start // 10}")
            contacts += [
                Contact(email=f"m{i}@acme.test", account_id=owner)
                for i in range(start, min(start + 10, options.members))
            ]
        for c in range(options.connect // options.per_channel):
            owner = await account(f"Partner {c}", channel=f"CS{c:06d}")
            first = c * options.per_channel
            contacts += [
                Contact(email=f"x{i}@partner.test", account_id=owner)
                for i in range(first, first + options.per_channel)
            ]
        for start in range(0, options.email_only, 10):
            owner = await account(f"Email {start // 10}")
            contacts += [
                Contact(email=f"e{i}@nowhere.test", account_id=owner)
                for i in range(start, min(start + 10, options.email_only))
            ]
        session.add_all(contacts)


async def _count(db: Database, status: str) -> int:
    async with db.session() as session:
        query = select(func.count(Invitation.id)).where(Invitation.status == status)
        return int((await session.execute(query)).scalar_one())


async def _round(options: argparse.Namespace, url: str, number: int) -> dict[str, float]:
    emulator = subprocess.Popen(
        [sys.executable, __file__, "--serve-emulator", *_emulator_args(options)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert emulator.stdout is not None
    api_url = emulator.stdout.readline().strip()
    db = Database(url)
    await db.upgrade()
    await _seed(db, options)
    settings = Settings(slack_bot_token=TOKEN, slack_api_url=api_url, database_url=url)
    rt = build_runtime(settings, db=db)
    tier_paces(rt.slack).speed = options.scale  # the emulator's clock runs this fast

    first_dm = asyncio.Event()

    async def deliver() -> None:  # the worker's passes beside `send`, until the first DM
        while not first_dm.is_set():
            if (await run_due(rt)).sent:
                first_dm.set()
            await asyncio.sleep(0.2)

    started = time.monotonic()
    delivering = asyncio.create_task(deliver())
    report = await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    send_seconds = time.monotonic() - started
    while await _count(db, InvitationStatus.RESOLVING):
        await reach_tick(rt)
    resolved_seconds = time.monotonic() - started
    await asyncio.wait_for(first_dm.wait(), timeout=300)
    await delivering
    unreachable = await _count(db, InvitationStatus.SKIPPED)
    await db.dispose()

    emulator.send_signal(signal.SIGTERM)
    out, _ = emulator.communicate(timeout=60)
    summary = json.loads(out.strip().splitlines()[-1])
    used = sum(summary["calls"].get(method, 0) for method in LISTED)
    minimum = sum(summary["minimum"].values())
    # the emulator's clock is monotonic in its own process; the same on Linux (CLOCK_MONOTONIC)
    first_dm_seconds = summary["first_dm_at"] - started
    figures = {
        "send_s": send_seconds,
        "send_left_resolving": report.resolving,
        "calls": used,
        "calls_min": minimum,
        "calls_ratio": used / minimum,
        "first_dm_s": first_dm_seconds,
        "resolution_emulator_s": resolved_seconds * options.scale,
        "floor_emulator_s": summary["floor"],
        "time_ratio": resolved_seconds * options.scale / summary["floor"],
        "unreachable": unreachable,
    }
    detail = {m: summary["calls"].get(m, 0) for m in LISTED}
    print(
        f"  round {number}: calls {detail} (429s {summary['refused']}), minimum "
        f"{summary['minimum']}; send returned in {send_seconds:.1f} s with "
        f"{report.resolving} left to the worker",
        flush=True,
    )
    return figures


def _emulator_args(options: argparse.Namespace) -> list[str]:
    return [
        f"--scale={options.scale}",
        f"--members={options.members}",
        f"--connect={options.connect}",
        f"--per-channel={options.per_channel}",
        f"--burst={options.burst}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_options(parser)
    parser.add_argument("--scale", type=float, default=20.0, help="emulator time / real time")
    parser.add_argument("--members", type=int, default=12_000)
    parser.add_argument("--connect", type=int, default=3_000)
    parser.add_argument("--per-channel", type=int, default=10)
    parser.add_argument("--email-only", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--burst", type=int, default=3, help="calls a method may make at once (Slack allows bursts)"
    )
    parser.add_argument("--serve-emulator", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve_emulator:
        asyncio.run(_serve_emulator(options))
        return
    load_before = os.getloadavg()
    rounds = []
    with tempfile.TemporaryDirectory() as directory:
        for number in range(1, options.rounds + 1):
            url = fresh_url(options, Path(directory), f"reach{number}")  # outside the loop
            rounds.append(asyncio.run(_round(options, url, number)))
    load_after = os.getloadavg()

    def median(key: str) -> float:
        return statistics.median(r[key] for r in rounds)

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = options.members + options.connect + options.email_only
    print(
        f"reach, {total:,} contacts ({options.members:,} members, {options.connect:,} in Slack "
        f"Connect channels, {options.email_only:,} on email only), {_database(options)}, "
        f"tiers on at {options.scale:g}x real time (bursts of {options.burst}), "
        f"median of {len(rounds)} round(s):\n"
        f"  Slack calls: {median('calls'):.0f} vs {median('calls_min'):.0f} the listings need "
        f"= {median('calls_ratio'):.2f}x (target <= 1.2x)\n"
        f"  send returned in {median('send_s'):.1f} s; first DM {median('first_dm_s'):.1f} s "
        f"after send began (real time; target < 120 s)\n"
        f"  resolution: {median('resolution_emulator_s') / 60:.1f} min vs the tier floor "
        f"{median('floor_emulator_s') / 60:.1f} min (emulator time) = "
        f"{median('time_ratio'):.2f}x (target <= 1.3x); unreachable named: "
        f"{median('unreachable'):.0f}\n"
        f"  peak RSS of the bench process (app side): {peak:.0f} MB\n"
        f"  load average before {_load(load_before)}, after {_load(load_after)} "
        f"({os.cpu_count()} CPUs, shared)"
    )


def _database(options: argparse.Namespace) -> str:
    return label("sqlite" if options.database == "sqlite" else "postgresql")


def _load(values: tuple[float, float, float]) -> str:
    return " ".join(f"{value:.2f}" for value in values)


if __name__ == "__main__":
    main()
