from __future__ import annotations

import asyncio
import time

import pytest

from bot.slack import CappedBackoff, Pacer


async def test_pacer_spaces_calls_to_its_rate() -> None:
    pacer = Pacer(50, burst=1)
    started = time.monotonic()
    for _ in range(11):
        await pacer.wait()
    assert time.monotonic() - started >= 0.19  # 10 intervals of 20 ms


async def test_a_429_slows_the_rate_and_pauses() -> None:
    pacer = Pacer(40, burst=1)
    await pacer.wait()
    pacer.back_off(0.2)
    assert pacer.rate == pytest.approx(32)
    started = time.monotonic()
    await pacer.wait()
    assert time.monotonic() - started >= 0.19
    pacer.back_off(0)  # 0.2 s after the first 429: the same burst, slowed once
    assert pacer.rate == pytest.approx(32)
    await asyncio.sleep(0.6)
    pacer.back_off(0)
    pacer.back_off(0)
    assert pacer.rate == pytest.approx(25.6)


def test_backoff_is_capped() -> None:
    backoff = CappedBackoff(base=0.5, cap=8)
    assert all(backoff.calculate_sleep_duration(n) <= 8 for n in range(20))
    assert backoff.calculate_sleep_duration(0) <= 0.5
