"""The survey DMs' pace shared by every process, through the database (storage/pace.py).

Each process's `Pacer` (bot/core/slack.py) keeps its own rate, cut on a 429; with a
`SharedPace` it no longer sends when its own bucket allows but at a moment it reserved in
the database, one interval after the previous moment any process reserved. Two `worker`s
then send at the cap together instead of each at the cap, and a 429 met by one pushes the
next moment past its `Retry-After` for all of them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bot.core.logs import Throttled
from storage import pace
from storage.db import Database

SURVEY_PACE = "chat.postMessage"  # the row for the survey DMs' cap

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

    async def delay(self, interval: float, *, pause: float = 0.0) -> float | None:
        """Seconds to wait before this call; None when the database cannot say.

        `interval` is 1 / the caller's rate; `pause` is how long it must not send at all
        (a `Retry-After`), which the reservation passes on to every process.
        """
        now = self.clock()
        try:
            async with self.db.transaction() as session:
                moment = await pace.reserve(
                    session=session,
                    name=self.name,
                    now=now,
                    interval=interval,
                    not_before=now + pause,
                )
        except Exception as exc:  # a pace is no reason to stop sending: local pace instead
            _UNREACHABLE.happened(error=type(exc).__name__)
            return None
        return max(0.0, moment - now)
