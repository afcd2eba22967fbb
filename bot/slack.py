"""The one Slack Web API client: retries for 429 / 5xx / connection errors, and pacing."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.interval_calculator import RetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient

# The recipient cannot get a DM; retrying will not help.
RECIPIENT_ERRORS = frozenset(
    {
        "user_not_found",
        "users_not_found",
        "account_inactive",
        "cannot_dm_bot",
        "messages_tab_disabled",
        "channel_not_found",
        "user_disabled",
        "is_archived",
        "user_is_restricted",
        "not_allowed_token_type",
    }
)
# The app itself is misconfigured: stop and leave the work for after the fix.
CONFIG_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "no_permission",
    }
)
# Worth another try later (the client already retried these a few times).
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


class CappedBackoff(RetryIntervalCalculator):
    """Exponential backoff with jitter that never sleeps longer than `cap` seconds."""

    def __init__(self, base: float = 0.5, cap: float = 8.0) -> None:
        self.base = base
        self.cap = cap

    def calculate_sleep_duration(self, current_attempt: int) -> float:
        interval = min(self.cap, self.base * (2**current_attempt))
        return interval * (0.5 + random.random() / 2)


class PacedRateLimitHandler(AsyncRateLimitErrorRetryHandler):
    """slack-sdk's 429 handler (sleeps `Retry-After`) that also tells a pacer to slow down."""

    def __init__(self, max_retry_count: int, on_limited: Callable[[float], None]) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.on_limited = on_limited

    async def prepare_for_next_attempt_async(self, **kwargs: Any) -> None:
        response = kwargs.get("response")
        if response is not None:
            headers = {key.lower(): value for key, value in response.headers.items()}
            retry_after = headers.get("retry-after") or ["1"]
            self.on_limited(float(retry_after[0]))
        await super().prepare_for_next_attempt_async(**kwargs)


def make_client(
    token: str | None,
    base_url: str,
    *,
    timeout: int = 30,
    on_rate_limited: Callable[[float], None] | None = None,
) -> AsyncWebClient:
    """The client every part of the app uses.

    The handlers share one attempt counter per request, so the rate-limit handler gets the
    highest count: under a stretch of 429s it keeps honouring `Retry-After`.
    """
    backoff = CappedBackoff()
    limited = (
        PacedRateLimitHandler(8, on_rate_limited)
        if on_rate_limited
        else AsyncRateLimitErrorRetryHandler(max_retry_count=8)
    )
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=4, interval_calculator=backoff),
            AsyncServerErrorRetryHandler(max_retry_count=4, interval_calculator=backoff),
            limited,
        ],
    )


def error_code(exc: Exception) -> str:
    """The Slack error code of a failed call, or a short name for transport failures."""
    if isinstance(exc, SlackApiError):
        response = exc.response
        code = response.get("error") if isinstance(response.data, dict) else None
        if code:
            return str(code)
        return f"http_{response.status_code}"
    return type(exc).__name__


class Pacer:
    """Spaces out bulk calls under a rate (a token bucket), separate from retrying.

    It starts at `per_second`; a 429 cuts the rate by a fifth and pauses for `Retry-After`;
    each send after a quiet second wins back 2%, so a campaign settles near Slack's limit.
    """

    def __init__(self, per_second: float, burst: int = 1, *, floor: float = 0.5) -> None:
        self.max_rate = per_second
        self.rate = per_second
        self.floor = min(floor, per_second)
        self.burst = burst
        self._tokens = float(burst)
        self._last = time.monotonic()
        self._paused_until = 0.0
        self._limited_at = 0.0
        self._lock = asyncio.Lock()

    def back_off(self, retry_after: float) -> None:
        """Slack said 429: slow down and pause."""
        now = time.monotonic()
        if now - self._limited_at > 0.5:  # slow down once per burst of 429s
            self.rate = max(self.floor, self.rate * 0.8)
        self._limited_at = now
        self._paused_until = max(self._paused_until, now + retry_after)

    async def wait(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                self._recover(now)
                self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self.rate)

    def _recover(self, now: float) -> None:
        if self.rate < self.max_rate and now - self._limited_at > 1.0:
            self.rate = min(self.max_rate, self.rate * 1.02)  # per send: ~+20%/s at 10/s
