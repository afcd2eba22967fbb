"""`serve`'s collector: a burst's young garbage is collected once its work has ended, while
nothing is being acked, and not while a request is."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from bot.core.heap import YoungPasses


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


@contextmanager
def _collector_off() -> Iterator[None]:
    """No passes but the ones asked for, so what frees the cycle is known."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _young_garbage() -> weakref.ref[_Node]:
    return weakref.ref(_Node())


async def test_the_young_garbage_is_collected_once_the_work_has_ended() -> None:
    with _collector_off():
        passes = YoungPasses(lambda: False, delay=0.01)
        garbage = _young_garbage()
        passes.work_ended()
        assert garbage() is not None  # not at once: the finished tasks are released first
        await asyncio.sleep(0.1)
        assert garbage() is None


async def test_no_pass_while_a_request_is_being_acked() -> None:
    with _collector_off():
        passes = YoungPasses(lambda: True, delay=0.01)
        garbage = _young_garbage()
        passes.work_ended()
        await asyncio.sleep(0.1)
        assert garbage() is not None  # left to the passes its allocations trigger
    gc.collect()


async def test_more_work_ending_puts_the_pass_off_and_close_cancels_it() -> None:
    with _collector_off():
        passes = YoungPasses(lambda: False, delay=0.05)
        garbage = _young_garbage()
        passes.work_ended()
        await asyncio.sleep(0.03)
        passes.work_ended()  # the pass now comes 0.05 s after this
        await asyncio.sleep(0.03)
        assert garbage() is not None
        passes.close()
        await asyncio.sleep(0.1)
        assert garbage() is not None
    gc.collect()
