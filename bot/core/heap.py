"""The garbage collector's full passes, moved out of the way of acks.

A full collection walks every object the process holds; in `serve` during a burst of taps
(each tap's request and context waiting for its turn) that took 100–300 ms on this
project's 2-core machine, and every ack due meanwhile waited for it: the tail of the ack
latency. So, once the app is loaded, what it holds for good is frozen out of the
collector's walks (`gc.freeze`), young objects are still collected as usual (those passes
take about a millisecond), and full passes run on a timer instead, when no request is
being acked.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable

FULL_EVERY = 60.0  # seconds between full collections
NEVER = 1_000_000_000  # the collector's own trigger for full passes, effectively off
BUSY_RETRY = 1.0  # seconds before trying again when requests were being acked


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
