"""The scheduled digest against the emulator: on time, once per period, whatever happens."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.core.config import Settings
from bot.core.runtime import Runtime, build_runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.scheduler import drain, run_due
from bot.services.digest import DIGEST_LEASE, latest_slot, post_due
from storage.db import Database
from storage.models import DigestRun
from tests.digest_fixture import AS_OF, seed_digest
from tests.harness import BOT_TOKEN, TEST_SEND_BURST, TEST_SENDS_PER_SECOND

pytestmark = pytest.mark.postgres
CHANNEL = "CDIGEST"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(AS_OF - timedelta(minutes=1))  # Monday 08:59 UTC


@pytest.fixture
def settings(emulator: SlackEmulator, database_url: str) -> Settings:
    return Settings(
        slack_bot_token=BOT_TOKEN,
        slack_api_url=emulator.api_url,
        database_url=database_url,
        voc_channel="CVOC",
        digest_channel=CHANNEL,
    )


def _other_runtime(settings: Settings, clock: FakeClock) -> Runtime:
    """A second process: its own engine and Slack client, the same database and clock."""
    return build_runtime(
        settings,
        clock=clock,
        sends_per_second=TEST_SENDS_PER_SECOND,
        send_burst=TEST_SEND_BURST,
    )


def _digests(emulator: SlackEmulator) -> list[dict]:
    return [m for m in emulator.messages(CHANNEL) if not m.get("thread_ts")]


def _posts(emulator: SlackEmulator) -> list:
    return [c for c in emulator.calls_to("chat.postMessage") if c.args["channel"] == CHANNEL]


def _charts(emulator: SlackEmulator) -> list[dict]:
    return [m for m in emulator.messages(CHANNEL) if m.get("files")]


async def _runs(db: Database) -> list[DigestRun]:
    async with db.session() as session:
        return list((await session.execute(select(DigestRun))).scalars())


def test_the_slot_follows_the_schedule_in_its_time_zone() -> None:
    monday_kl = latest_slot(
        datetime(2026, 11, 23, 1, 0, tzinfo=UTC), "mon 09:00", "Asia/Kuala_Lumpur"
    )
    assert monday_kl.due_at == datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in KL
    assert monday_kl.period == "2026-W48"
    just_before = latest_slot(
        datetime(2026, 11, 23, 0, 59, tzinfo=UTC), "mon 09:00", "Asia/Kuala_Lumpur"
    )
    assert (just_before.period, just_before.due_at.day) == ("2026-W47", 16)
    new_year = latest_slot(datetime(2027, 1, 6, tzinfo=UTC), "fri 17:30", "UTC")
    assert new_year.period == "2026-W53"
    assert new_year.due_at == datetime(2027, 1, 1, 17, 30, tzinfo=UTC)


async def test_posted_on_schedule_once_with_its_chart_in_the_thread(
    rt: Runtime, emulator: SlackEmulator, clock: FakeClock, settings: Settings
) -> None:
    await seed_digest(rt.db)
    assert (await drain(rt)).digests == 0  # 08:59: not yet
    assert _digests(emulator) == []

    clock.advance(timedelta(minutes=1))
    assert (await drain(rt)).digests == 1
    [message] = _digests(emulator)
    shown = json.dumps(message["blocks"], ensure_ascii=False)
    assert "NPS, last week: +20, fair, from 20 answers" in shown
    assert message["metadata"]["event_payload"] == {"period": "2026-W48"}
    [chart] = _charts(emulator)
    assert chart["thread_ts"] == message["ts"]
    [png] = emulator.uploaded_files().values()
    assert png.startswith(b"\x89PNG")

    for step in (timedelta(minutes=5), timedelta(hours=3)):
        clock.advance(step)
        assert (await run_due(rt)).digests == 0
    assert len(_digests(emulator)) == 1
    [run] = await _runs(rt.db)
    assert (run.period, run.posted_at, run.message_ts) == ("2026-W48", AS_OF, message["ts"])

    restarted = _other_runtime(settings, clock)  # a new process the same morning
    try:
        assert (await run_due(restarted)).digests == 0
    finally:
        await restarted.close()
    assert len(_posts(emulator)) == 1


async def test_two_schedulers_at_once_post_one_digest(
    rt: Runtime, emulator: SlackEmulator, clock: FakeClock, settings: Settings
) -> None:
    await seed_digest(rt.db)
    clock.advance(timedelta(minutes=2))
    others = [_other_runtime(settings, clock) for _ in range(2)]
    try:
        reports = await asyncio.gather(run_due(rt), *(run_due(o) for o in others))
    finally:
        for other in others:
            await other.close()
    assert sum(r.digests for r in reports) == 1
    assert len(_digests(emulator)) == 1 and len(_charts(emulator)) == 1
    assert len(_posts(emulator)) == 1


async def test_a_poster_killed_after_slack_took_the_message_is_not_doubled(
    rt: Runtime, emulator: SlackEmulator, clock: FakeClock, settings: Settings
) -> None:
    await seed_digest(rt.db)
    clock.advance(timedelta(minutes=1))
    stored = emulator.hang_after_store("chat.postMessage")
    dying = asyncio.create_task(post_due(rt, clock()))
    await asyncio.wait_for(stored.wait(), 10)
    dying.cancel()  # the process dies: Slack has the digest, the database does not know
    with pytest.raises(asyncio.CancelledError):
        await dying
    assert len(_digests(emulator)) == 1

    restarted = _other_runtime(settings, clock)
    try:
        assert (await run_due(restarted)).digests == 0  # the dead poster's lease still holds
        clock.advance(DIGEST_LEASE + timedelta(seconds=1))
        assert (await run_due(restarted)).digests == 1
    finally:
        await restarted.close()
    assert len(_digests(emulator)) == 1
    assert len(_posts(emulator)) == 1
    [chart] = _charts(emulator)
    assert chart["thread_ts"] == _digests(emulator)[0]["ts"]
    [run] = await _runs(rt.db)
    assert run.attempts == 2 and run.posted_at is not None


async def test_a_slack_error_is_retried_after_the_lease(
    rt: Runtime, emulator: SlackEmulator, clock: FakeClock
) -> None:
    clock.advance(timedelta(minutes=1))
    emulator.fail("chat.postMessage", error="not_in_channel")
    assert (await run_due(rt)).digests == 0
    [run] = await _runs(rt.db)
    assert (run.error, run.posted_at) == ("not_in_channel", None)
    clock.advance(timedelta(minutes=1))
    assert (await run_due(rt)).digests == 0  # leased: not hammered every tick
    clock.advance(DIGEST_LEASE)
    assert (await run_due(rt)).digests == 1
    [message] = _digests(emulator)
    assert "Nothing to report" in json.dumps(message["blocks"])  # an empty database


async def test_a_digest_half_a_day_late_is_skipped(
    rt: Runtime, emulator: SlackEmulator, clock: FakeClock
) -> None:
    clock.advance(timedelta(hours=12, minutes=2))
    assert (await run_due(rt)).digests == 0
    assert _digests(emulator) == [] and await _runs(rt.db) == []


async def test_no_channel_no_digest(rt: Runtime, emulator: SlackEmulator, clock: FakeClock) -> None:
    rt.settings.digest_channel = None
    clock.advance(timedelta(minutes=1))
    assert (await run_due(rt)).digests == 0
    assert emulator.calls_to("chat.postMessage") == []
