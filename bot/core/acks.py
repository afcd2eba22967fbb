"""Acks first: work that follows an ack waits while other Slack requests are being acked.

Slack wants every request acked within 3 s, and on one event loop an ack waits its turn
behind whatever else is ready to run. The work after an ack (recording a tap, updating
the DM, a note) has no such deadline. So in a burst (a campaign's taps arriving together)
it waits until no request is being acked, at most `defer` seconds, and then runs, in
larger batches (storage/group_commit.py). When requests come one at a time nothing waits.

The requests being acked are counted by `acking()` around each dispatch (bot/app.py); the
work after an ack that can wait calls `quiet()` first (`Runtime.acked`: recording a tap,
then its DM update). Work with a deadline of its own (opening a modal) does not wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager


class AcksFirst:
    """Counts requests being acked; `quiet()` returns when there are none, or after `defer`."""

    def __init__(self, defer: float) -> None:
        self.defer = defer
        self.acking_now = 0
        # in arrival order (a dict as an ordered set): the first tap on a survey goes first
        self._waiting: dict[asyncio.Future[None], None] = {}

    @contextmanager
    def acking(self) -> Iterator[None]:
        """Around a request's dispatch, until its answer is ready."""
        self.acking_now += 1
        try:
            yield
        finally:
            self.acking_now -= 1
            if not self.acking_now:
                self._release()

    async def quiet(self) -> None:
        """Wait until no request is being acked, or for `defer` seconds at most."""
        if not self.acking_now:
            return
        turn = asyncio.get_running_loop().create_future()
        self._waiting[turn] = None
        timer = asyncio.get_running_loop().call_later(self.defer, _done, turn)
        try:
            await turn
        finally:
            timer.cancel()
            self._waiting.pop(turn, None)

    @property
    def waiting(self) -> int:
        """How many pieces of work are waiting for their turn."""
        return len(self._waiting)

    def _release(self) -> None:
        waiting, self._waiting = self._waiting, {}
        for turn in waiting:
            _done(turn)


def _done(turn: asyncio.Future[None]) -> None:
    if not turn.done():
        turn.set_result(None)
