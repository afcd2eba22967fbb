"""Scale-out: several real processes on one database, crashes, rate limits.

Each survey must reach its contact exactly once whatever happens to the processes.
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.config import Settings
from bot.core.runtime import build_runtime
from bot.devkit.emulator import SlackEmulator
from bot.domain.vocabulary import InvitationStatus
from bot.services.surveys import start_relationship_campaign
from storage.db import Database
from storage.models import Account, Contact, Invitation
from tests.harness import BOT_TOKEN, cli_env, eventually, start_vocbot

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


async def _campaign(db: Database, emulator: SlackEmulator, count: int) -> None:
    """`count` contacts with Slack ids and zones, and an NPS invitation due now for each."""
    for i in range(count):
        emulator.add_user(f"U{i:05d}", email=f"c{i}@scale.test")
    async with db.transaction() as session:
        account = Account(name="Scale", name_key="scale", segment="smb")
        session.add(account)
        await session.flush()
        session.add_all(
            Contact(
                email=f"c{i}@scale.test",
                account_id=account.id or 0,
                slack_user_id=f"U{i:05d}",
                tz="UTC",
                locale="en-US",
            )
            for i in range(count)
        )
    settings = Settings(slack_bot_token=BOT_TOKEN, slack_api_url=emulator.api_url)
    rt = build_runtime(settings, db=db)
    report = await start_relationship_campaign(rt, kind="nps", now=datetime.now(UTC), send_now=True)
    assert report.created == count


def _env(
    emulator: SlackEmulator, database_url: str, tmp_path: Path, **extra: str
) -> dict[str, str]:
    return cli_env(
        api_url=emulator.api_url,
        database_url=database_url,
        home=tmp_path,
        SCHEDULER_TICK="1s",
        **extra,
    )


async def _start(env: dict[str, str], cwd: Path, *args: str) -> asyncio.subprocess.Process:
    return await start_vocbot(env, cwd, *args, stdout=asyncio.subprocess.DEVNULL)


async def _stop(process: asyncio.subprocess.Process) -> bytes:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(process.communicate(), 60)
    return err


def _per_user(emulator: SlackEmulator) -> Counter[str]:
    return Counter(c.args["channel"] for c in emulator.calls_to("chat.postMessage", ok=True))


async def _statuses(db: Database) -> Counter[str]:
    async with db.session() as session:
        return Counter((await session.execute(select(Invitation.status))).scalars())


async def test_two_workers_deliver_500_invitations_exactly_once(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    async with SlackEmulator() as emulator:
        await _campaign(db, emulator, 500)
        env = _env(emulator, database_url, tmp_path)
        workers = [await _start(env, tmp_path, "worker") for _ in range(2)]
        try:
            await eventually(lambda: sum(_per_user(emulator).values()) >= 500, timeout=120)
            await asyncio.sleep(2)  # a duplicate would show up here
        finally:
            errors = [await _stop(worker) for worker in workers]
        assert [w.returncode for w in workers] == [0, 0], errors
        sent = _per_user(emulator)
    assert len(sent) == 500 and set(sent.values()) == {1}
    assert await _statuses(db) == {InvitationStatus.SENT: 500}


async def test_serve_killed_mid_campaign_and_restarted_sends_each_survey_once(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    async with SlackEmulator() as emulator:
        await _campaign(db, emulator, 300)
        emulator.rate_limit("chat.postMessage", per_second=15, burst=3)  # 429s with Retry-After
        env = _env(emulator, database_url, tmp_path, SEND_LEASE="3s")
        first = await _start(env, tmp_path, "serve", "--port", "0")
        await eventually(lambda: sum(_per_user(emulator).values()) >= 100, timeout=120)
        first.kill()  # SIGKILL mid-campaign: no cleanup, leases left behind
        await first.wait()
        before = sum(_per_user(emulator).values())
        assert before < 300
        second = await _start(env, tmp_path, "serve", "--port", "0")
        try:
            await eventually(lambda: sum(_per_user(emulator).values()) >= 300, timeout=180)
            await eventually(lambda: _all_sent(db), timeout=60)
        finally:
            await _stop(second)
        sent = _per_user(emulator)
        throttled = len(emulator.calls_to("chat.postMessage", ok=False))
    assert len(sent) == 300 and set(sent.values()) == {1}
    assert throttled > 0  # the rate limit did bite, and was retried
    assert await _statuses(db) == {InvitationStatus.SENT: 300}


async def _all_sent(db: Database) -> bool:
    return await _statuses(db) == {InvitationStatus.SENT: 300}
