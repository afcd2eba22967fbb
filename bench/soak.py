"""Memory that stays flat: `serve` and `worker` under mixed traffic for `--minutes` minutes.

bot/core/heap.py turns automatic full collections off (they run on a timer instead); this
shows nothing piles up meanwhile. Against the Slack emulator (its own process) and a fresh
database, `serve --no-scheduler` and one `worker` get, every second: signed rating taps,
a `/voc` command, a Log feedback modal submission and a `POST /hooks/events` (a closed
ticket, which schedules a survey the worker then sends); every minute a `send csat --now`
to one contact. After a 20 s warm-up, every 30 s it prints each process's RSS (from
/proc), and at the end the growth of each over the last half of the run (target < 5%),
with the load average.

    python bench/soak.py [--minutes 10] [--database sqlite|postgresql] [--taps-per-second 20]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._db import add_options, fresh_url, label  # noqa: E402
from bench._memory import rss_mb  # noqa: E402
from bench._rounds import print_load  # noqa: E402
from bench.ack import SECRET, TOKEN, _prepare, _start  # noqa: E402
from bot.devkit.payloads import (  # noqa: E402
    form_body,
    interactive_body,
    signed_headers,
    slash_command,
    view_submission,
)
from storage.db import Database  # noqa: E402
from storage.models import Account  # noqa: E402

INGEST = "bench-ingest-token"
SAMPLE_EVERY = 30.0  # seconds between RSS readings
TARGET_GROWTH = 0.05  # over the last half of the run
WARM_UP = 20  # seconds of traffic before the first reading
CSM = "U000000"  # a seeded user: the modal and /voc come from them


def _form(account_id: int, n: int) -> dict[str, Any]:
    """`state.values` of the Log feedback modal (bot/handlers' voc.log view)."""
    chosen = {"account": str(account_id), "source": "qbr", "type": "feature request"}
    values: dict[str, Any] = {}
    for block, value in chosen.items():
        option = {"value": value, "text": {"type": "plain_text", "text": value}}
        values[f"voc.{block}"] = {
            f"voc.{block}": {"type": "static_select", "selected_option": option}
        }
    for block, text in {
        "text": f"Soak note {n}: they want SSO",
        "feature": "Single sign-on",
    }.items():
        values[f"voc.{block}"] = {f"voc.{block}": {"type": "plain_text_input", "value": text}}
    return values


class Traffic:
    """One second's worth of each kind of request, counted by kind and answer status."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base: str,
        api_url: str,
        taps: list[dict],
        account: int,
    ) -> None:
        self.session, self.base, self.api_url = session, base, api_url
        self.taps = itertools.cycle(taps)
        self.account = account
        self.count = itertools.count()
        self.statuses: dict[str, dict[int, int]] = {}

    def _note(self, kind: str, status: int) -> None:
        by_status = self.statuses.setdefault(kind, {})
        by_status[status] = by_status.get(status, 0) + 1

    async def _post(self, kind: str, path: str, data: str, headers: dict[str, str]) -> None:
        try:
            async with self.session.post(
                self.base + path, data=data.encode(), headers=headers
            ) as r:
                await r.read()
                self._note(kind, r.status)
        except aiohttp.ClientError:
            self._note(kind, 0)

    async def second(self, taps: int) -> None:
        n = next(self.count)
        jobs = []
        for _ in range(taps):
            tap = dict(next(self.taps))
            score = n % 11
            invitation = tap["actions"][0]["value"].split(":")[0]
            tap["actions"] = [
                dict(
                    tap["actions"][0],
                    action_id=f"survey.rate.{score}",
                    value=f"{invitation}:{score}",
                )
            ]
            body = interactive_body(tap)
            jobs.append(self._post("tap", "/slack/events", body, signed_headers(SECRET, body)))
        response_url = self.api_url.replace("/api/", "/response/soak")
        command = form_body(
            slash_command(user=CSM, text="help" if n % 2 else "", response_url=response_url)
        )
        jobs.append(self._post("/voc", "/slack/events", command, signed_headers(SECRET, command)))
        modal = interactive_body(
            view_submission(
                user=CSM,
                callback_id="voc.log",
                private_metadata=json.dumps({"response_url": response_url}),
                values=_form(self.account, n),
            )
        )
        jobs.append(self._post("modal", "/slack/events", modal, signed_headers(SECRET, modal)))
        event = {
            "event": "ticket_closed",
            "email": f"c{n % 500}@bench.test",
            "occurred_at": datetime.now(UTC).isoformat(),
            "event_id": f"soak-{n}",
        }
        hook = {"Authorization": f"Bearer {INGEST}", "Content-Type": "application/json"}
        jobs.append(self._post("webhook", "/hooks/events", json.dumps(event), hook))
        await asyncio.gather(*jobs)


async def _account_id(database_url: str) -> int:
    db = Database(database_url)
    async with db.session() as session:
        account_id = (await session.execute(select(Account.id))).scalars().first()
    await db.dispose()
    return account_id or 0


async def run(options: argparse.Namespace, database_url: str) -> int:
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    emulator, api_url = _start(
        [
            sys.executable,
            "bench/_emulator.py",
            "--users",
            str(options.contacts),
            "--cap",
            "50",
            "--burst",
            "5",
        ],
        env,
    )
    processes: list[subprocess.Popen[str]] = [emulator]
    samples: list[tuple[float, float, float]] = []  # (seconds in, serve MB, worker MB)
    try:
        taps = await _prepare(database_url, api_url, options.contacts)
        account = await _account_id(database_url)
        env |= {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": api_url,
            "DATABASE_URL": database_url,
            "INGEST_TOKEN": INGEST,
            "LOG_LEVEL": "ERROR",
        }
        serve, url = _start(
            [sys.executable, "-m", "bot", "serve", "--no-scheduler", "--port", "0"], env
        )
        processes.append(serve)
        worker = subprocess.Popen(
            [sys.executable, "-m", "bot", "worker"],
            env=env,
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        processes.append(worker)
        base = url.replace("0.0.0.0", "127.0.0.1").removesuffix("/slack/events")
        print(f"{label(database_url)}; {options.minutes:g} minutes; RSS every {SAMPLE_EVERY:g} s")
        print(f"{'s':>6}{'serve MB':>10}{'worker MB':>11}")
        async with aiohttp.ClientSession() as session:  # imports, caches, the first DMs
            warm = Traffic(session, base, api_url, taps, account)
            for _ in range(WARM_UP):
                began = time.monotonic()
                await warm.second(options.taps_per_second)
                await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - began)))
        started = time.monotonic()
        end = started + options.minutes * 60
        next_sample = started
        next_send = started + 60
        sends = 0
        async with aiohttp.ClientSession() as session:
            traffic = Traffic(session, base, api_url, taps, account)
            while (now := time.monotonic()) < end:
                if now >= next_sample:
                    sample = (now - started, rss_mb(serve.pid), rss_mb(worker.pid))
                    samples.append(sample)
                    print(f"{sample[0]:>6.0f}{sample[1]:>10.1f}{sample[2]:>11.1f}", flush=True)
                    next_sample += SAMPLE_EVERY
                if now >= next_send:
                    await _send(env, root, sends)
                    sends += 1
                    next_send += 60
                await traffic.second(options.taps_per_second)
                await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - now)))
            samples.append((time.monotonic() - started, rss_mb(serve.pid), rss_mb(worker.pid)))
            print(f"{samples[-1][0]:>6.0f}{samples[-1][1]:>10.1f}{samples[-1][2]:>11.1f}")
        if worker.poll() is not None or serve.poll() is not None:
            print("serve or worker stopped during the soak", file=sys.stderr)
            return 1
    finally:
        for process in reversed(processes):
            process.terminate()
            process.communicate(timeout=30)
    print("requests by kind and answer: " + json.dumps(traffic.statuses, sort_keys=True))
    print(f"send csat --now runs: {sends}")
    print_load("at the end")
    half = samples[-1][0] / 2
    middle = min(samples, key=lambda s: abs(s[0] - half))
    grew = True
    for name, column in (("serve", 1), ("worker", 2)):
        growth = (samples[-1][column] - middle[column]) / middle[column]
        verdict = "meets" if growth < TARGET_GROWTH else "misses"
        grew = grew and growth < TARGET_GROWTH
        print(
            f"{name}: {middle[column]:.1f} MB at {middle[0]:.0f} s -> {samples[-1][column]:.1f} MB "
            f"at the end: {growth:+.1%} over the last half ({verdict} the < 5% target)"
        )
    return 0 if grew else 1


async def _send(env: dict[str, str], root: Path, n: int) -> None:
    """`send csat --now` to one contact, as an operator would between the traffic."""
    emails = [f"--email=c{(n * 7) % 500}@bench.test"]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "send",
        "csat",
        *emails,
        "--now",
        env=env,
        cwd=root,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    await process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--contacts", type=int, default=2000)
    parser.add_argument("--taps-per-second", type=int, default=20)
    add_options(parser)
    options = parser.parse_args()
    print_load("at the start")
    with tempfile.TemporaryDirectory() as directory:
        url = fresh_url(options, Path(directory), "soak")
        return asyncio.run(run(options, url))


if __name__ == "__main__":
    sys.exit(main())
