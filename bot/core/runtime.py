"""What every service needs, built once per process and passed in."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.acks import AcksFirst
from bot.core.config import Settings
from bot.core.pace import SharedPace
from bot.core.slack import Pacer, make_client
from storage.db import Database
from storage.group_commit import GroupCommit

# chat.postMessage to distinct DMs: at most this, less when Slack answers 429 (see Pacer).
SURVEY_SENDS_PER_SECOND = 20.0
# No bursts: when the event loop stalls, a send released just before goes out together with
# the next one, and a burst on top of that pair met 429s (Slack's burst size is unstated).
SURVEY_SEND_BURST = 1
# After Slack answers a survey post with a 5xx (it may have the DM all the same), wait this
# long, look the DM up by its metadata, and post again only if it is not there. A constant,
# not a setting: nobody running the bot has a reason to tune it; tests shorten it through
# `build_runtime` like the send pace.
LOST_ANSWER_RECHECK = timedelta(seconds=3)
# Work done after acking Slack runs a few at a time, so a burst of taps is acked first
# (Slack allows 3 s); see `Runtime.after_ack`. Taps are recorded before taking a slot,
# batched by `Runtime.commits`, and only their Slack calls wait for one.
AFTER_ACK_SLOTS = 4
# And it waits while other requests are being acked, this long at most (bot/core/acks.py).
AFTER_ACK_DEFER = 5.0


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    """A process's database, Slack client, pacer and clock; made by `build_runtime` only."""

    settings: Settings
    db: Database
    slack: AsyncWebClient
    pacer: Pacer
    clock: Callable[[], datetime]
    commits: GroupCommit  # taps recorded together, one transaction per few (group_commit.py)
    lost_answer_recheck: timedelta = LOST_ANSWER_RECHECK
    slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(AFTER_ACK_SLOTS))
    acks: AcksFirst = field(default_factory=lambda: AcksFirst(AFTER_ACK_DEFER))
    pending: set[asyncio.Task[Any]] = field(default_factory=set)
    # called each time the last piece of acked work ends (`serve`: a pass of the collector)
    on_idle: list[Callable[[], None]] = field(default_factory=list)
    # set when the process is shutting down: long work (the delivery job) takes on no more
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def now(self) -> datetime:
        return self.clock()

    @asynccontextmanager
    async def acked(self) -> AsyncIterator[None]:
        """Work done after an ack that can wait: known to shutdown (`settle`), no slot.

        It starts once no other request is being acked (at most `AFTER_ACK_DEFER` later,
        bot/core/acks.py), so a burst of taps is acked first. For database work that
        `commits` already batches: a burst of taps is recorded together, not behind the
        Slack calls that follow each tap.
        """
        async with self._tracked():
            await self.acks.quiet()
            yield

    @asynccontextmanager
    async def after_ack(self) -> AsyncIterator[None]:
        """Run a listener's work after its ack: a few at a time, and known to shutdown.

        It does not wait for other acks: it may open a modal, whose `trigger_id` Slack
        honours for 3 s only.
        """
        async with self._tracked(), self.slots:
            yield

    @asynccontextmanager
    async def _tracked(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task is not None:
            self.pending.add(task)
        try:
            yield
        finally:
            self.pending.discard(task)
            if not self.pending:
                for hook in self.on_idle:
                    hook()

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait for acked work still running (taps being recorded) before closing."""
        if self.pending:
            await asyncio.wait(set(self.pending), timeout=timeout)

    async def start(self) -> None:
        """Open one HTTP session for every Slack call (slack-sdk opens one per call without)."""
        if self.slack.session is None:
            self.slack.session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.slack.timeout)
            )

    async def close(self) -> None:
        session, self.slack.session = self.slack.session, None
        if session is not None:
            await session.close()
        await self.db.dispose()


def build_runtime(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utcnow,
    db: Database | None = None,
    sends_per_second: float = SURVEY_SENDS_PER_SECOND,
    send_burst: int = SURVEY_SEND_BURST,
    lost_answer_recheck: timedelta = LOST_ANSWER_RECHECK,
) -> Runtime:
    """The runtime for a process: one database, one Slack client whose DMs share one pacer.

    Every caller (the CLI, the demo, the benches, the tests) gets the production client:
    retries for connection errors, 5xx and 429, the paced methods going through the pacer.
    What a caller may change is explicit: the `clock`, an existing `db` to share (its
    engine is then closed by whoever made it, or by `Runtime.close`), the pace of bulk
    sends, and how long a send waits before looking for a DM whose answer Slack lost.
    """
    database = db if db is not None else Database(settings.database_url.get_secret_value())
    # every process sharing the database shares the DMs' pace (bot/core/pace.py)
    pacer = Pacer(sends_per_second, burst=send_burst, shared=SharedPace(database))
    return Runtime(
        settings=settings,
        db=database,
        slack=make_client(
            token.get_secret_value() if (token := settings.slack_bot_token) else None,
            settings.slack_api_url,
            pacer=pacer,
            clock=clock,
        ),
        pacer=pacer,
        clock=clock,
        commits=GroupCommit(database),
        lost_answer_recheck=lost_answer_recheck,
    )


async def settle_tasks(timeout: float = 10.0) -> None:
    """Let running work (an acked tap, a scheduler pass) finish before resources close.

    Cancelling a task in the middle of a database session would leave it waiting on a
    connection that is already gone, so shutdown waits for them instead, up to `timeout`.
    """
    others = asyncio.all_tasks() - {asyncio.current_task()}
    if others:
        _done, pending = await asyncio.wait(others, timeout=timeout)
        if pending:
            logging.getLogger(__name__).warning(
                "shutdown: work still running", extra={"tasks": len(pending)}
            )
