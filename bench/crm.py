"""CRM pull: `python -m bot crm sync --full` of 5,000 companies and 20,000 contacts from the
HubSpot emulator held to HubSpot's documented burst limit (190 calls a rolling 10 s, a
private app on a Professional or Enterprise portal). Prints the API calls against the
minimum the pages need (target ≤ 1.1×), the wall time against the rate-limit floor (target
≤ 1.2×), the sync process's peak RSS (target < 200 MB), and whether every company and
contact landed in the database; the median of `--rounds` rounds, each with its own
database and emulators.

The minimum is derived from what the emulator holds: the owners' pages, one read of the
companies' properties (the sync checks the mapped fields exist before any page), and for
companies and contacts the pages of 100 of the live records and of the archived ones (an
empty list is still one call). The floor is the earliest the last of those calls may go
out under the limit: call k (from 0) waits for the window opened by call k - burst, so the
first burst is free and the floor is ⌊(calls - 1) / burst⌋ × window. The sync's wall time
runs from its first HubSpot call until its process has exited (every page written, the
summary printed); the whole process's time, Python's start-up and imports included, is
printed beside it. Both run on a database migrated beforehand, with the process's
bytecode cached as an installed app's is (the children write theirs under the bench's
temporary directory, filled by one small unmeasured sync first); per round it also prints
how that time splits (start-up until the first HubSpot call, the calls, after the last)
and the process's CPU seconds. Its peak RSS is the kernel's figure for that process
(`wait4`'s `ru_maxrss`). `--trace FILE` writes each round's HubSpot calls (time,
operation, status) to FILE.<round>.

    python bench/crm.py [--database sqlite|postgresql] [--companies 5000] [--rounds 3]
                        [--burst 190 --window 10] [--trace FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
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
from bench._rounds import print_load  # noqa: E402
from bench.ack import TOKEN  # noqa: E402
from bot.devkit.hubspot_emulator import TOKEN as HUBSPOT_TOKEN  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Account, Contact  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PAGE = 100  # HubSpot's list pages
SCHEMA_READS = 1  # the companies' properties, read once to check the mapped fields
TARGET_CALLS, TARGET_WALL, TARGET_MB = 1.1, 1.2, 200
KINDS = ("companies", "contacts")


def pages(records: int) -> int:
    """List calls to read `records` at 100 a page: an empty list is still one call."""
    return max(1, math.ceil(records / PAGE))


def minimum_calls(records: dict[str, int]) -> int:
    """The calls a full sync of what the emulator holds cannot do without."""
    return (
        pages(records["owners"])
        + SCHEMA_READS
        + sum(pages(records[kind]) + pages(records[f"{kind}_archived"]) for kind in KINDS)
    )


def floor_seconds(calls: int, burst: int, window: float) -> float:
    """The earliest the last of `calls` may go out under `burst` calls a rolling `window`
    seconds, counted from the first call (the first burst is free)."""
    return (max(calls, 1) - 1) // burst * window


def _ratio(seconds: float, floor: float) -> str:
    return f"{seconds / floor:.2f}x" if floor else "no floor (the calls fit in one burst)"


@dataclass
class Round:
    seconds: float  # the whole `crm sync` process
    startup: float  # from its start to its first HubSpot call
    calling: float  # from its first HubSpot call to its last
    tail: float  # from its last HubSpot call to its exit
    calls: dict[str, int]  # HubSpot calls by operation
    by_status: dict[str, int]
    slack_calls: dict[str, int]
    records: dict[str, int]  # what the emulator held
    peak_mb: float
    cpu: float  # the sync process's user + system CPU seconds
    accounts: int  # accounts the sync wrote (crm_source hubspot)
    contacts: int
    with_csm: int  # accounts whose owner has a Slack account
    said: str  # the command's own summary line


async def _migrated(database_url: str) -> None:
    db = Database(database_url)
    await db.upgrade()
    await db.dispose()


async def _counts(database_url: str) -> tuple[int, int, int]:
    db = Database(database_url)
    synced = Account.crm_source == "hubspot"
    queries = (
        select(func.count(Account.id)).where(synced),
        select(func.count(Contact.id)).where(Contact.crm_source == "hubspot"),
        select(func.count(Account.id)).where(synced & Account.csm_user_id.is_not(None)),
    )
    async with db.session() as session:
        accounts, contacts, with_csm = [(await session.execute(q)).scalar_one() for q in queries]
    await db.dispose()
    return accounts, contacts, with_csm


def _start(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, *args], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def _stopped(process: subprocess.Popen[str]) -> dict:  # type: ignore[type-arg]
    process.terminate()
    assert process.stdout is not None
    summary = json.loads(process.stdout.readline() or "{}")
    process.wait(timeout=30)
    return summary


def _environment(directory: Path) -> dict[str, str]:
    """The children's: bytecode cached in `directory` (an installed app has its modules
    compiled; without the cache every start compiles SQLAlchemy and the rest anew)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env | {"PYTHONPYCACHEPREFIX": str(directory / "pycache")}


def one_round(options: argparse.Namespace, directory: Path, n: int) -> Round:
    env = _environment(directory)
    database_url = fresh_url(options, directory, f"crm-{n}")
    asyncio.run(_migrated(database_url))
    slack, slack_url = _start(["bench/_emulator.py", "--users", str(options.slack_owners)], env)
    hubspot, hubspot_url = _start(
        [
            "bench/_hubspot.py",
            *("--companies", str(options.companies), "--owners", str(options.owners)),
            *("--slack-owners", str(options.slack_owners)),
            *("--burst", str(options.burst), "--window", str(options.window)),
            *(["--trace", f"{options.trace}.{n}"] if options.trace else []),
        ],
        env,
    )
    run_env = env | {
        "CRM": "hubspot",
        "HUBSPOT_TOKEN": HUBSPOT_TOKEN,
        "HUBSPOT_API_URL": hubspot_url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": slack_url,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "ERROR",
    }
    try:
        started = time.monotonic()
        sync = subprocess.Popen(
            [sys.executable, "-m", "bot", "crm", "sync", "--full"],
            env=run_env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert sync.stdout is not None
        said = sync.stdout.read().strip().splitlines()
        _pid, status, usage = os.wait4(sync.pid, 0)
        ended = time.monotonic()
        sync.returncode = os.waitstatus_to_exitcode(status)
        if sync.returncode:
            raise RuntimeError(f"crm sync failed ({sync.returncode})")
    finally:
        summary = _stopped(hubspot)
        slack_summary = _stopped(slack)
    accounts, contacts, with_csm = asyncio.run(_counts(database_url))
    first, last = summary["first_at"], summary["last_at"]
    return Round(
        seconds=ended - started,
        startup=first - started,
        calling=last - first,
        tail=ended - last,
        calls=summary["calls"],
        by_status=summary["by_status"],
        slack_calls=slack_summary.get("calls", {}),
        records=summary["records"],
        peak_mb=usage.ru_maxrss / 1024,
        cpu=usage.ru_utime + usage.ru_stime,
        accounts=accounts,
        contacts=contacts,
        with_csm=with_csm,
        said=said[-1] if said else "",
    )


def main(options: argparse.Namespace) -> int:
    burst, window = options.burst, options.window
    kind = "PostgreSQL" if options.database == "postgresql" else "SQLite"
    print(
        f"{options.companies} companies, {options.companies * 4} contacts, {options.owners} "
        f"owners ({options.slack_owners} on Slack); HubSpot burst limit {burst} calls a "
        f"rolling {window:g} s; {options.rounds} rounds ({kind})",
        flush=True,
    )
    print_load("before")
    rounds: list[Round] = []
    landed = True
    with tempfile.TemporaryDirectory() as tmp:
        # Unmeasured: a small sync fills the bytecode cache the measured ones start from.
        one_round(argparse.Namespace(**{**vars(options), "companies": 50}), Path(tmp), 0)
        for n in range(1, options.rounds + 1):
            result = one_round(options, Path(tmp), n)
            rounds.append(result)
            held = result.records
            least = minimum_calls(held)
            floor = floor_seconds(least, burst, window)
            made = sum(result.calls.values())
            expected_csm = sum(
                1 for i in range(options.companies) if i % options.owners < options.slack_owners
            )
            ok = result.accounts == held["companies"] and result.contacts == held["contacts"]
            landed = landed and ok and result.with_csm == expected_csm
            print(
                f"round {n}: {made} calls of {least} needed ({made / least:.2f}x; "
                f"{json.dumps(result.calls, sort_keys=True)}; by status "
                f"{json.dumps(result.by_status, sort_keys=True)}); {result.seconds:.1f} s "
                f"against a {floor:g} s floor ({_ratio(result.seconds, floor)}: start-up "
                f"{result.startup:.1f} s, calls {result.calling:.1f} s, after the last "
                f"{result.tail:.1f} s; CPU {result.cpu:.1f} s); peak RSS {result.peak_mb:.0f} MB; "
                f"in the database "
                f"{result.accounts}/{held['companies']} companies, {result.contacts}/"
                f"{held['contacts']} contacts, {result.with_csm}/{expected_csm} with a CSM; "
                f"Slack {json.dumps(result.slack_calls, sort_keys=True)}",
                flush=True,
            )
            print(f"  crm sync said: {result.said}", flush=True)
    least = minimum_calls(rounds[0].records)
    floor = floor_seconds(least, burst, window)
    calls = statistics.median(sum(r.calls.values()) for r in rounds)
    seconds = statistics.median(r.seconds for r in rounds)
    syncing = statistics.median(r.calling + r.tail for r in rounds)
    peak_mb = max(r.peak_mb for r in rounds)
    print(
        f"minimum calls: {least} (owners {pages(rounds[0].records['owners'])}, properties "
        f"{SCHEMA_READS}, companies {pages(rounds[0].records['companies'])} + archived "
        f"{pages(rounds[0].records['companies_archived'])}, contacts "
        f"{pages(rounds[0].records['contacts'])} + archived "
        f"{pages(rounds[0].records['contacts_archived'])}); rate-limit floor: {floor:g} s "
        f"(⌊({least} - 1) / {burst}⌋ × {window:g} s)"
    )
    print(f"every company and contact in the database: {'yes' if landed else 'NO'}")
    print(f"peak RSS of the sync process: {peak_mb:.0f} MB (target < {TARGET_MB} MB)")
    print(
        f"API calls: {calls:g}, {calls / least:.2f}x the minimum (median of {len(rounds)} "
        f"rounds; target <= {TARGET_CALLS})"
    )
    print(
        f"the whole process, start-up included: {seconds:.1f} s, {_ratio(seconds, floor)} the "
        f"rate-limit floor (median of {len(rounds)} rounds)"
    )
    print(
        f"wall time of the sync, first call to exit: {syncing:.1f} s, {_ratio(syncing, floor)} "
        f"the rate-limit floor (median of {len(rounds)} rounds; target <= {TARGET_WALL})"
    )
    print_load("after")
    return 0 if landed else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=5000, help="contacts: four times")
    parser.add_argument("--owners", type=int, default=8)
    parser.add_argument("--slack-owners", type=int, default=5, help="owners Slack knows")
    parser.add_argument("--burst", type=int, default=190, help="HubSpot calls a window")
    parser.add_argument("--window", type=float, default=10.0, help="seconds")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--trace", help="write each round's HubSpot calls to TRACE.<round>")
    add_options(parser)
    sys.exit(main(parser.parse_args()))
