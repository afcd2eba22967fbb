"""Acks first: work after an ack waits while other requests are being acked, not longer
than its bound, and not at all when nothing is being acked."""

from __future__ import annotations

import asyncio

from bot.core.acks import AcksFirst


async def test_nothing_waits_when_no_request_is_being_acked() -> None:
    acks = AcksFirst(defer=3600)
    await asyncio.wait_for(acks.quiet(), timeout=5)


async def test_work_waits_until_the_last_request_being_acked_is_answered() -> None:
    acks = AcksFirst(defer=3600)
    with acks.acking():
        with acks.acking():
            waiting = [asyncio.create_task(acks.quiet()) for _ in range(3)]
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.01)
        assert not any(task.done() for task in waiting)  # one request still being acked
        assert acks.waiting == 3
    await asyncio.wait_for(asyncio.gather(*waiting), timeout=5)


async def test_work_goes_ahead_after_its_bound_even_while_requests_keep_coming() -> None:
    acks = AcksFirst(defer=0.01)
    with acks.acking():
        await asyncio.wait_for(acks.quiet(), timeout=5)
        assert acks.acking_now == 1


async def test_a_cancelled_wait_leaves_nothing_behind() -> None:
    acks = AcksFirst(defer=3600)
    with acks.acking():
        task = asyncio.create_task(acks.quiet())
        await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert acks.waiting == 0
