from __future__ import annotations

import asyncio
import math

import pytest

from bot.core.slack import CappedBackoff, Pacer


class _SimulatedTime:
    """A clock that sleeping moves forward: minutes of pacing in milliseconds of test."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


async def test_pacer_spaces_calls_to_its_rate() -> None:
    time_ = _SimulatedTime()
    pacer = Pacer(50, burst=1, clock=time_.clock, sleep=time_.sleep)
    for _ in range(11):
        await pacer.wait()
    assert time_.now == pytest.approx(0.2)  # 10 intervals of 20 ms


async def test_a_429_slows_the_rate_and_pauses() -> None:
    time_ = _SimulatedTime()
    pacer = Pacer(40, burst=1, clock=time_.clock, sleep=time_.sleep)
    await pacer.wait()
    pacer.back_off(0.2)
    assert pacer.rate == pytest.approx(32)
    await pacer.wait()
    assert time_.now >= 0.2 - 1e-9  # not before Retry-After is over
    pacer.back_off(0)  # 0.2 s after the first 429: the same burst, slowed once
    assert pacer.rate == pytest.approx(32)
    time_.now += 0.6
    pacer.back_off(0)
    pacer.back_off(0)
    assert pacer.rate == pytest.approx(25.6)


def test_backoff_is_capped() -> None:
    backoff = CappedBackoff(base=0.5, cap=8)
    assert all(backoff.calculate_sleep_duration(n) <= 8 for n in range(20))
    assert backoff.calculate_sleep_duration(0) <= 0.5


async def _against_slack(cap: float, *, seconds: float = 300) -> tuple[float, float]:
    """A pacer (at most 20/s) sending against a Slack-like token bucket of `cap`/s, burst 2.

    Returns the share of the cap delivered and the 429s per minute.
    """
    time_ = _SimulatedTime()
    pacer = Pacer(20, burst=2, clock=time_.clock, sleep=time_.sleep)
    tokens, stamp, delivered, refused = 2.0, 0.0, 0, 0
    while time_.now < seconds:
        await pacer.wait()
        tokens = min(2.0, tokens + (time_.now - stamp) * cap)
        stamp = time_.now
        if tokens > 1 - 1e-9:
            tokens -= 1
            delivered += 1
        else:  # 429 with an integer Retry-After, as Slack sends it
            refused += 1
            pacer.back_off(max(1, math.ceil((1 - tokens) / cap)))
    return delivered / seconds / cap, refused / seconds * 60


async def test_pacer_holds_the_cap_it_is_set_to_without_a_429() -> None:
    share, limited_per_minute = await _against_slack(20)
    assert share >= 0.99 and limited_per_minute == 0


@pytest.mark.parametrize("cap", [15, 10, 5, 2])
async def test_pacer_settles_under_a_lower_cap_instead_of_bouncing_off_it(cap: float) -> None:
    share, limited_per_minute = await _against_slack(cap)
    assert share >= 0.85  # the old pacer (+2% per send) held 0.23 of a 15/s cap
    assert limited_per_minute <= 8  # and was refused 28 times a minute


async def test_a_429_takes_away_the_burst() -> None:
    time_ = _SimulatedTime()
    pacer = Pacer(10, burst=5, clock=time_.clock, sleep=time_.sleep)
    await pacer.wait()
    time_.now = 10.0  # idle long enough to have saved up a full burst
    pacer.back_off(1)
    await pacer.wait()
    assert time_.now >= 11.0 + 1 / 8 - 1e-9  # after Retry-After, spaced at the slowed rate
