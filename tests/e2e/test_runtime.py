"""`build_runtime` gives every caller the production Slack client: its retries and its pacer."""

from __future__ import annotations

import asyncio

from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler

from bot.core.config import Settings
from bot.core.runtime import (
    SURVEY_SEND_BURST,
    SURVEY_SENDS_PER_SECOND,
    build_runtime,
    utcnow,
)
from bot.core.slack import (
    OnceOnlyConnectionErrorHandler,
    OutageWatch,
    PacedRateLimitHandler,
    PacedServerErrorHandler,
)
from bot.devkit.emulator import SlackEmulator
from storage.db import Database
from tests.harness import eventually


async def test_the_client_retries_through_the_runtime_pacer(
    settings: Settings, db: Database
) -> None:
    rt = build_runtime(settings, db=db)
    handlers = rt.slack.retry_handlers
    assert [type(h) for h in handlers] == [
        OutageWatch,  # hears every answer first: counts errors, logs an outage; never retries
        OnceOnlyConnectionErrorHandler,  # slack-sdk's, except that posts are never re-sent
        PacedServerErrorHandler,
        PacedRateLimitHandler,
    ]
    assert issubclass(OnceOnlyConnectionErrorHandler, AsyncConnectionErrorRetryHandler)
    assert all(h.pacer is rt.pacer for h in handlers[2:])  # type: ignore[attr-defined]
    assert (rt.pacer.max_rate, rt.pacer.burst) == (SURVEY_SENDS_PER_SECOND, SURVEY_SEND_BURST)
    assert rt.clock is utcnow and rt.db is db


async def test_an_override_changes_only_the_pace(settings: Settings, db: Database) -> None:
    rt = build_runtime(settings, db=db, sends_per_second=500, send_burst=10)
    assert (rt.pacer.max_rate, rt.pacer.burst) == (500, 10)
    assert [type(h) for h in rt.slack.retry_handlers][2:] == [
        PacedServerErrorHandler,
        PacedRateLimitHandler,
    ]


async def test_a_429_from_slack_pauses_the_shared_pacer(
    settings: Settings, db: Database, emulator: SlackEmulator
) -> None:
    emulator.add_user("U1", email="ana@acme.test")
    rt = build_runtime(settings, db=db)
    emulator.fail("chat.postMessage", status=429, retry_after=1)
    sending = asyncio.create_task(rt.slack.chat_postMessage(channel="U1", text="Hello"))
    await eventually(lambda: rt.pacer.rate < SURVEY_SENDS_PER_SECOND)  # the 429 is in: slower
    [limited] = emulator.calls_to("chat.postMessage")
    pause_ends = rt.pacer.paused_until
    assert pause_ends >= limited.at + 1  # Retry-After paused the pacer that every sender uses
    await rt.pacer.wait()  # another sender takes its turn at the pacer, as delivery does
    await rt.slack.chat_postMessage(channel="U1", text="Hi again")
    await sending
    limited, *later = emulator.calls_to("chat.postMessage")
    assert limited.status == 429 and [c.ok for c in later] == [True, True]  # one retry
    assert all(c.at >= pause_ends for c in later)  # the retry and the other both waited


async def test_the_idle_hooks_run_when_the_last_acked_work_ends(
    settings: Settings, db: Database
) -> None:
    rt = build_runtime(settings, db=db)
    idle: list[int] = []
    rt.on_idle.append(lambda: idle.append(len(rt.pending)))
    release = asyncio.Event()

    async def work() -> None:
        async with rt.acked():
            await release.wait()

    tasks = [asyncio.create_task(work()) for _ in range(3)]
    await eventually(lambda: len(rt.pending) == 3)
    assert idle == []
    release.set()
    await asyncio.gather(*tasks)
    assert idle == [0]  # once, when the third ended; not after each
