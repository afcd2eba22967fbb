"""The one Slack Web API client: retries for 429 / 5xx / connection errors, and pacing."""

from __future__ import annotations

import asyncio
import random
import time

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


def make_client(token: str | None, base_url: str, *, timeout: int = 30) -> AsyncWebClient:
    """The client every part of the app uses.

    The handlers share one attempt counter per request, so the rate-limit handler gets the
    highest count: under a stretch of 429s it keeps honouring `Retry-After`.
    """
    backoff = CappedBackoff()
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=4, interval_calculator=backoff),
            AsyncServerErrorRetryHandler(max_retry_count=4, interval_calculator=backoff),
            AsyncRateLimitErrorRetryHandler(max_retry_count=8),
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
    """Spaces out calls to stay under a rate (a token bucket); separate from retrying."""

    def __init__(self, per_second: float, burst: int = 1) -> None:
        self.interval = 1.0 / per_second
        self.burst = burst
        self._tokens = float(burst)
        self._last = time.monotonic()
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self.burst, self._tokens + (now - self._last) / self.interval)
                self._last = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) * self.interval)
