"""The sync reads pages ahead of its writes, and writes the pages that waited together."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.services.crm_sync import read_ahead


async def _pages(count: int, read: list[int], fail_at: int | None = None) -> AsyncIterator[int]:
    for n in range(count):
        if n == fail_at:
            raise RuntimeError("the CRM went down")
        read.append(n)
        yield n


async def test_pages_are_read_ahead_of_a_slow_writer_and_handed_over_together() -> None:
    read: list[int] = []
    handed: list[list[int]] = []
    async for ready in read_ahead(_pages(12, read), depth=4, together=3):
        if not handed:
            await asyncio.sleep(0.01)  # the first write is slow: the reads go on meanwhile
            assert len(read) >= 5  # the page being written, and four more read ahead
        handed.append(ready)
    assert [page for ready in handed for page in ready] == list(range(12))
    assert max(len(ready) for ready in handed) == 3


async def test_a_failed_read_is_raised_after_the_pages_read_before_it() -> None:
    handed: list[int] = []
    with pytest.raises(RuntimeError, match="went down"):
        async for ready in read_ahead(_pages(10, [], fail_at=6), depth=8, together=4):
            await asyncio.sleep(0.005)
            handed += ready
    assert handed == [0, 1, 2, 3, 4, 5]


async def test_a_writer_that_stops_stops_the_reading() -> None:
    read: list[int] = []
    async for _ready in read_ahead(_pages(1000, read), depth=2, together=1):
        break
    await asyncio.sleep(0.01)
    assert len(read) <= 4
