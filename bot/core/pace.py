"""The survey DMs' pace shared by every process, through the database (storage/pace.py).

Each process's `Pacer` (bot/core/slack.py) keeps its own rate, cut on a 429; with a
`SharedPace` it no longer sends when its own bucket allows but at a moment it reserved in
the database, one interval after the previous moment any process reserved. Two `worker`s
then send at the cap together instead of each at the cap, and a 429 met by one pushes the
next moment past its `Retry-After` for all of them.

A process reserves a few moments at once (`HOLD` seconds' worth), so the database's round
trip is paid once per few sends rather than inside every one, and it reserves the next few
while it waits for the last one it holds, so that round trip (longer on a busy SQLite file,
where it queues behind the process's other writes) leaves no gap in the sending. A moment
the process is late for by more than half an interval (`LATE`) is dropped rather than sent
late, where it would bunch up with the next one: whether it was late before the wait or
the wait itself overslept (the event loop busy elsewhere). Slack's bucket allows a short
burst, but at the cap it is nearly empty, so two calls close together and a third on time
draw a 429, which costs the pace a pause and a slower minute; a dropped moment costs one
interval.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable

from bot.core.logs import Throttled
from storage import pace
from storage.db import Database

SURVEY_PACE = "chat.postMessage"  # the row for the survey DMs' cap
HOLD = 0.25  # seconds of moments reserved at a time
LATE = 0.5  # intervals a moment may be late for and still be used


def too_late(moment: float, now: float, interval: float) -> bool:
    """Whether `moment` has passed by more than `LATE` intervals at `now`."""
    return moment < now - LATE * interval


_UNREACHABLE = Throttled(
    logging.getLogger(__name__),
    "shared send pace unavailable (database error): pacing this process on its own",
)


class SharedPace:
    """Reserves send moments in the database; `clock` is Unix time, common to processes."""

    def __init__(
        self, db: Database, *, name: str = SURVEY_PACE, clock: Callable[[], float] = time.time
    ) -> None:
        self.db = db
        self.name = name
        self.clock = clock
        self._held: deque[float] = deque()  # moments reserved and not yet used
        self._ahead: asyncio.Task[list[float] | None] | None = None  # the next few, reserving

    async def delay(self, interval: float, *, pause: float = 0.0) -> float | None:
        """Seconds to wait before this call; None when the database cannot say.

        `interval` is 1 / the caller's rate; `pause` is how long it must not send at all
        (a `Retry-After`), which the reservation passes on to every process.
        """
        ahead, self._ahead = self._ahead, None  # set only once the held ones ran out
        if ahead is not None:
            reserved = await ahead
            if pause <= 0:  # else they may fall inside the pause: left unused
                self._held.extend(reserved or [])
        if pause > 0:
            self._held.clear()
        self._drop_late(interval)
        if not self._held:
            moments = await self._reserve(interval, pause)
            if moments is None:
                return None
            self._held.extend(moments)
            self._drop_late(interval)
        if not self._held:  # reserved ones already late (a stalled loop): take a fresh one
            moments = await self._reserve(interval, pause, count=1)
            if moments is None:
                return None
            self._held.extend(moments)
        moment = self._held.popleft()
        if not self._held:  # the next few are reserved while this one is waited for
            self._ahead = asyncio.create_task(self._reserve(interval, 0.0))
        return max(0.0, moment - self.clock())

    def _drop_late(self, interval: float) -> None:
        now = self.clock()
        while self._held and too_late(self._held[0], now, interval):
            self._held.popleft()

    async def _reserve(self, interval: float, pause: float, count: int = 0) -> list[float] | None:
        try:
            async with self.db.transaction() as session:
                # read the clock once the transaction is ours: on SQLite it may have waited
                # behind this process's other writes, and moments from before that wait
                # would be late, and dropped, as soon as they were handed out
                now = self.clock()
                return await pace.reserve(
                    session=session,
                    name=self.name,
                    now=now,
                    interval=interval,
                    count=count or max(1, int(HOLD / interval)),
                    not_before=now + pause,
                )
        except Exception as exc:  # a pace is no reason to stop sending: local pace instead
            _UNREACHABLE.happened(error=type(exc).__name__)
            return None
