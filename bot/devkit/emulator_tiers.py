"""Slack's rate-limit tiers for the emulator, switched on with `SlackEmulator.limit_tiers`.

Slack limits each Web API method per workspace by its tier: Tier 2 about 20 calls a
minute, Tier 3 about 50, Tier 4 about 100; a call over the limit is answered 429 with
`Retry-After` (seconds). `TierLimits` keeps one token bucket per method (`burst` calls
may go at once, then one per 60/rate seconds) on an emulator clock that runs `scale`
times faster than real time, so a bench can do an hour of Slack's pacing in minutes and
still be honest: its figures are then in emulator time, against `floor_seconds`, the
least time the tiers allow for the calls made. `users_list` is the emulator's
`users.list` (members and guests of the workspace, deleted users and bots flagged as
Slack shows them, cursor pagination).
"""

from __future__ import annotations

import base64
import math
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

PER_MINUTE = {2: 20.0, 3: 50.0, 4: 100.0}  # calls a minute, per method, by tier
TIERS = {
    "users.list": 2,
    "users.lookupByEmail": 3,
    "conversations.history": 3,
    "conversations.open": 3,
    "users.info": 4,
    "conversations.members": 4,
}


@dataclass
class _Bucket:
    per_second: float  # in emulator seconds
    tokens: float
    stamp: float  # emulator seconds


@dataclass
class TierLimits:
    """Per-method token buckets at Slack's tiers, on a clock `scale` times real time."""

    scale: float = 1.0
    burst: int = 1
    tiers: dict[str, int] = field(default_factory=lambda: dict(TIERS))
    clock: Callable[[], float] = time.monotonic
    refused: Counter[str] = field(default_factory=Counter)  # 429s answered, per method
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _started: float = field(default=0.0)

    def __post_init__(self) -> None:
        if self.scale <= 0 or self.burst < 1:
            raise ValueError("scale must be > 0 and burst >= 1")
        self._started = self.clock()

    def now(self) -> float:
        """Emulator seconds since the limits were switched on."""
        return (self.clock() - self._started) * self.scale

    def per_minute(self, method: str) -> float | None:
        tier = self.tiers.get(method)
        return PER_MINUTE[tier] if tier is not None else None

    def check(self, method: str) -> web.Response | None:
        """None when the call may go; else Slack's 429 with `Retry-After` in real seconds."""
        rate = self.per_minute(method)
        if rate is None:
            return None
        now = self.now()
        bucket = self._buckets.get(method)
        if bucket is None:
            bucket = self._buckets[method] = _Bucket(rate / 60.0, float(self.burst), now)
        bucket.tokens = min(
            float(self.burst), bucket.tokens + (now - bucket.stamp) * bucket.per_second
        )
        bucket.stamp = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        self.refused[method] += 1
        wait = (1 - bucket.tokens) / bucket.per_second / self.scale  # real seconds
        shown = str(max(1, math.ceil(wait))) if self.scale == 1 else f"{wait:.3f}"
        return web.json_response(
            {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": shown}
        )

    def floor_seconds(self, calls: Mapping[str, int]) -> float:
        """The least emulator time the tiers allow for these calls (methods run side by side)."""
        floors = [0.0]
        for method, count in calls.items():
            rate = self.per_minute(method)
            if rate is not None and count > self.burst:
                floors.append((count - self.burst) * 60.0 / rate)
        return max(floors)


def users_list(
    people: list[Any],
    show: Callable[[Any, bool], dict[str, Any]],
    args: Mapping[str, Any],
    error: Callable[[str], Exception],
) -> dict[str, Any]:
    """`users.list` over the workspace's `people` (members and guests, deleted users and bots
    included and flagged), page by page; `show(user, locale)` is the user as Slack shows
    them, `error(code)` the emulator's Slack error."""
    try:
        start = int(base64.b64decode(str(args.get("cursor") or "")).decode() or 0)
        limit = int(args.get("limit") or 0)
    except ValueError:
        raise error("invalid_cursor") from None
    limit = len(people) if limit <= 0 else min(limit, 1000)
    page = people[start : start + limit]
    more = start + limit < len(people)
    locale = str(args.get("include_locale")).lower() in ("1", "true")
    next_cursor = base64.b64encode(str(start + limit).encode()).decode() if more else ""
    return {
        "members": [show(user, locale) for user in page],
        "cache_ts": int(time.time()),
        "response_metadata": {"next_cursor": next_cursor},
    }
