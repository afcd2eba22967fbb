"""Runs the HubSpot emulator in its own process for benchmarks; prints its API URL.

Seeded with `--companies` companies and four times as many contacts spread evenly over
them, and `--owners` owners who own the companies in turn: the first `--slack-owners` have
the emails of the Slack emulator's users (`bench/_emulator.py --users N`: c0@bench.test …),
the others emails Slack does not know. HubSpot's burst limit is applied: `--burst` calls a
rolling `--window` seconds, 429 beyond (default 190 a 10 s, a private app on a Professional
or Enterprise portal, as HubSpot's developer changelog "Increasing our API limits" gives it).

On SIGTERM it prints one JSON line: the records seeded, the limit used, the calls by
operation, the answers by status, and when the first and the last call came (monotonic
seconds, comparable with the bench's own `time.monotonic()`).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import signal
from collections import Counter
from pathlib import Path

from bot.devkit.hubspot_emulator import HubSpotEmulator

PLANS = ("Starter", "Growth", "Enterprise")
SEGMENTS = ("SMB", "Mid-market", "Enterprise")
HEALTH = ("green", "amber", "red")
LANGUAGES = ("en", "en", "en", "ms")


def seed(emulator: HubSpotEmulator, companies: int, owners: int, slack_owners: int) -> None:
    owner_ids = [
        emulator.add_owner(
            f"c{i}@bench.test" if i < slack_owners else f"owner{i}@elsewhere.test",
            f"Owner{i}",
            "Bench",
        )
        for i in range(owners)
    ]
    company_ids = []
    for i in range(companies):
        company_ids.append(
            emulator.add_company(
                {
                    "name": f"Company {i}",
                    "domain": f"company{i}.test",
                    "industry": "COMPUTER_SOFTWARE",
                    "hubspot_owner_id": owner_ids[i % owners] if owners else None,
                    "annualrevenue": 12_000 + (i % 97) * 1_000,
                    "plan": PLANS[i % len(PLANS)],
                    "segment": SEGMENTS[i % len(SEGMENTS)],
                    "health": HEALTH[i % len(HEALTH)],
                    "renewal_date": f"2027-{i % 12 + 1:02d}-01",
                    "hs_lifecyclestage_customer_date": "2024-01-15T00:00:00.000Z",
                }
            )
        )
    for i in range(companies * 4):
        emulator.add_contact(
            {
                "email": f"person{i}@company{i % companies}.test",
                "firstname": f"Person{i}",
                "lastname": "Bench",
                "hs_language": LANGUAGES[i % len(LANGUAGES)],
            },
            company_id=company_ids[i % companies],
        )


def records(emulator: HubSpotEmulator) -> dict[str, int]:
    """What the emulator holds, live and archived, as the pages must cover it."""
    counts = {"owners": len(emulator.owners)}
    for kind in ("companies", "contacts"):
        held = emulator.objects[kind].values()
        counts[kind] = sum(not r.archived for r in held)
        counts[f"{kind}_archived"] = sum(r.archived for r in held)
    return counts


async def main(options: argparse.Namespace) -> None:
    emulator = HubSpotEmulator()
    seed(emulator, options.companies, options.owners, options.slack_owners)
    emulator.rate_limit(options.burst, options.window)
    await emulator.start()
    # As the Slack emulator's: no full collections over the seeded records mid-run.
    gc.freeze()
    gc.disable()
    print(emulator.url, flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    calls = emulator.calls
    summary = {
        "records": records(emulator),
        "limit": {"burst": options.burst, "window": options.window},
        "calls": Counter(c.op for c in calls),
        "by_status": Counter(str(c.status) for c in calls),
        "first_at": calls[0].at if calls else None,
        "last_at": calls[-1].at if calls else None,
    }
    if options.trace:
        Path(options.trace).write_text(json.dumps([(c.at, c.op, c.status) for c in calls]))
    print(json.dumps(summary), flush=True)
    await emulator.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--companies", type=int, default=5000)
    parser.add_argument("--owners", type=int, default=8)
    parser.add_argument("--slack-owners", type=int, default=5)
    parser.add_argument("--burst", type=int, default=190, help="calls a window")
    parser.add_argument("--window", type=float, default=10.0, help="seconds")
    parser.add_argument("--trace", help="write each call's (time, operation, status) here")
    asyncio.run(main(parser.parse_args()))
