"""The garbage collector's full passes, moved out of the way of acks.

A full collection walks every object the process holds; in `serve` during a burst of taps
(each tap's request and context waiting for its turn) that took 100–300 ms on this
project's 2-core machine, and every ack due meanwhile waited for it: the tail of the ack
latency. So, once the app is loaded, what it holds for good is frozen out of the
collector's walks (`gc.freeze`), young objects are still collected as usual (those passes
take about a millisecond), and full passes run on a timer instead, when no request is
being acked.

A burst's work also leaves its garbage young: some 25 objects in reference cycles per tap,
in a generation whose passes are triggered by allocations. Left there, they were walked
by the first pass the next burst's requests triggered: 13–17 ms for 2,000 taps' worth, with
every ack then due waiting. So once the work after the acks has ended (`YoungPasses`), the
young generations are collected at once, while nothing is waiting for an answer.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable

FULL_EVERY = 60.0  # seconds between full collections
NEVER = 1_000_000_000  # the collector's own trigger for full passes, effectively off
BUSY_RETRY = 1.0  # seconds before trying again when requests were being acked
YOUNG_AFTER = 0.05  # seconds after a burst's work has ended: its last tasks are freed by then


def settle_heap() -> None:
    """Freeze what start-up made, and leave full passes to `collect_when_quiet`."""
    gc.collect()
    gc.freeze()
    young, middle, _full = gc.get_threshold()
    gc.set_threshold(young, middle, NEVER)


async def collect_when_quiet(busy: Callable[[], bool], every: float = FULL_EVERY) -> None:
    """Forever: a full collection every `every` seconds, at a moment `busy()` is False.

    After `every` more seconds of being busy it collects anyway, so memory held in
    reference cycles is always given back.
    """
    while True:
        await asyncio.sleep(every)
        waited = 0.0
        while busy() and waited < every:
            await asyncio.sleep(BUSY_RETRY)
            waited += BUSY_RETRY
        gc.collect()


class YoungPasses:
    """Collects the young generations once the work after acks has ended (`work_ended`).

    The pass runs `delay` seconds later, after the finished tasks themselves are released,
    unless more work ended meanwhile (then later again) or `busy()` says a request is being
    acked (then the allocations' own passes collect it, as without this).
    """

    def __init__(self, busy: Callable[[], bool], delay: float = YOUNG_AFTER) -> None:
        self.busy = busy
        self.delay = delay
        self._timer: asyncio.TimerHandle | None = None

    def work_ended(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_later(self.delay, self._collect)

    def _collect(self) -> None:
        self._timer = None
        if not self.busy():
            gc.collect(1)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
