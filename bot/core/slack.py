"""The one Slack Web API client: retries for 429 / 5xx / connection errors, and pacing."""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.interval_calculator import RetryIntervalCalculator
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.core import metrics
from bot.core.pace import SharedPace, too_late
from bot.core.slack_errors import (
    SlackError,
    SlackNotInChannel,
    SlackRecipientError,
    SlackRefusedApp,
    SlackUnavailable,
)
from bot.core.slack_health import SlackHealth

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


# Slack failed or dropped the answer, so it may have stored the message all the same: a post
# that got one of these is looked up by its metadata before it is posted again.
OUTCOME_UNKNOWN_ERRORS = frozenset({"internal_error", "fatal_error", "service_unavailable"})

# Posts are never re-sent inside the call after a 5xx or a dropped connection (Slack may
# already have them); the caller's claim and lease decide, after a look-up (see
# bot/services/delivery.py). A 429 is still retried in the call: Slack stored nothing.
ONCE_ONLY_METHODS = frozenset({"chat.postMessage"})


def outcome_unknown(code: str) -> bool:
    """True when a failed call may have been carried out (a 5xx or a lost answer)."""
    return code in OUTCOME_UNKNOWN_ERRORS or code.startswith("http_5")


def _method(request: HttpRequest) -> str:
    return request.url.rsplit("/", 1)[-1]


def _once_only(request: HttpRequest) -> bool:
    return _method(request) in ONCE_ONLY_METHODS


class OutageWatch(AsyncRetryHandler):
    """First of the client's handlers: sees every answer and never asks for a retry.

    It counts each of Slack's 429s and 5xx for /metrics, and tells `SlackHealth` whether
    Slack answered, so an outage shows in the log (bot/core/slack_health.py): a call whose
    first try failed is one failed call, however often it is retried. slack-sdk asks the
    handlers in order, so the first one hears of every answer and every failed connection,
    the last attempt's too.
    """

    def __init__(self, health: SlackHealth) -> None:
        super().__init__(max_retry_count=0)
        self.health = health

    async def can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        method = _method(request)
        status = _status(response, error)
        if status == 429:
            metrics.slack_error("429", method)
        elif status is not None and status >= 500:
            metrics.slack_error("5xx", method)
        first_try = state.current_attempt == 0  # a call's own retries are not more failed calls
        if status is not None and status < 500:
            self.health.answered()
        elif first_try:
            self.health.failed(method, str(status or f"no answer ({type(error).__name__})"))
        return False


def _status(response: HttpResponse | None, error: Exception | None) -> int | None:
    """The HTTP status Slack answered with; None when no answer came (a connection error)."""
    if response is not None:
        return response.status_code
    if isinstance(error, SlackApiError):  # an answer whose body was not JSON
        return int(error.response.status_code)
    return None


# Bulk sends share one pace: a 429 or a retry of these waits its turn at the `Pacer`.
PACED_METHODS = frozenset({"chat.postMessage"})


def _paced(request: HttpRequest) -> bool:
    return _method(request) in PACED_METHODS


class PacedRateLimitHandler(AsyncRateLimitErrorRetryHandler):
    """slack-sdk's 429 handler; for paced methods the pause is the pacer's, for every sender.

    Slack's `Retry-After` pauses the whole pacer (every sender waits, not only the one that
    was refused) and slows it; the retry then takes its turn at the pacer. Other methods
    sleep `Retry-After` inside the call, as slack-sdk does.
    """

    def __init__(self, max_retry_count: int, pacer: Pacer, tiers: TierPaces | None = None) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.pacer = pacer
        self.tiers = tiers

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        tier = self.tiers.get(_method(request)) if self.tiers is not None else None
        if response is not None and tier is not None:  # a tiered method: its pace pauses
            state.next_attempt_requested = True
            tier.back_off(_retry_after(response))
            await tier.wait()
            state.increment_current_attempt()
            return
        if response is None or not _paced(request):
            await super().prepare_for_next_attempt_async(
                state=state, request=request, response=response, error=error
            )
            return
        state.next_attempt_requested = True
        self.pacer.back_off(_retry_after(response))
        await self.pacer.wait()
        state.increment_current_attempt()


class _NeverResendOnceOnly(AsyncRetryHandler):
    """Mixed in before a slack-sdk handler: `ONCE_ONLY_METHODS` are never re-sent by it."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if _once_only(request):
            return False
        return await super()._can_retry_async(
            state=state, request=request, response=response, error=error
        )


class OnceOnlyConnectionErrorHandler(_NeverResendOnceOnly, AsyncConnectionErrorRetryHandler):
    """slack-sdk's connection-error handler, except for `ONCE_ONLY_METHODS` (never re-sent)."""


class PacedServerErrorHandler(_NeverResendOnceOnly, AsyncServerErrorRetryHandler):
    """slack-sdk's 500/503 handler; a paced method's retry also waits its turn at the pacer.

    The backoff sleep holds only the sender that got the error; the retry is one more
    request under the same pace, so retries never push the app over Slack's cap.
    `ONCE_ONLY_METHODS` are not retried here at all: Slack may have stored the post.
    """

    def __init__(
        self, max_retry_count: int, interval_calculator: RetryIntervalCalculator, pacer: Pacer
    ) -> None:
        super().__init__(max_retry_count=max_retry_count, interval_calculator=interval_calculator)
        self.pacer = pacer

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        await super().prepare_for_next_attempt_async(
            state=state, request=request, response=response, error=error
        )
        if _paced(request):
            await self.pacer.wait()


def _retry_after(response: HttpResponse) -> float:
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values:
            try:
                return float(values[0])
            except ValueError:
                break
    return 1.0


# Slack's published tiers, in calls a minute per method and workspace, for the methods that
# reach people in bulk (bot/services/reach.py).
TIER_PER_MINUTE = {2: 20.0, 3: 50.0, 4: 100.0}
METHOD_TIERS = {
    "users.list": 2,
    "users.lookupByEmail": 3,
    "users.info": 4,
    "conversations.members": 4,
}


class TierPace:
    """Paces one method at its Slack tier once Slack has said 429 for it.

    Until then calls go as fast as they come (a short run of look-ups stays quick); the
    first 429 pauses every caller of the method for `Retry-After`, and from then on calls
    are spaced at the tier's rate (a `Pacer`; a later 429 pauses it again).
    """

    SHARE = 0.95  # of the tier's rate: a little under it, so that jitter brings no 429

    def __init__(self, per_minute: float, speed: float = 1.0) -> None:
        self.limited = False
        rate = per_minute * speed / 60.0 * self.SHARE
        self.pacer = Pacer(rate, floor=rate / 10)

    async def wait(self) -> None:
        if self.limited:
            await self.pacer.wait()

    def back_off(self, retry_after: float) -> None:
        """Pause every caller for `retry_after`; the tier's rate is known, so it stays."""
        self.limited = True
        self.pacer.back_off(retry_after)
        self.pacer.rate = self.pacer.max_rate


class TierPaces:
    """One `TierPace` per tiered method, shared by every caller of one client.

    `speed` runs the tiers faster than Slack's, for an emulator whose clock runs faster
    than real time (bot/devkit/emulator_tiers.py); against Slack it stays 1.
    """

    def __init__(self, speed: float = 1.0) -> None:
        self.speed = speed
        self._paces: dict[str, TierPace] = {}

    def get(self, method: str) -> TierPace | None:
        tier = METHOD_TIERS.get(method)
        if tier is None:
            return None
        pace = self._paces.get(method)
        if pace is None:
            pace = self._paces[method] = TierPace(TIER_PER_MINUTE[tier], self.speed)
        return pace

    async def wait(self, method: str) -> None:
        """Before a call of `method`: wait its turn under the method's tier."""
        pace = self.get(method)
        if pace is not None:
            await pace.wait()


def tier_paces(client: AsyncWebClient) -> TierPaces:
    """The client's tier paces (a client not made by `make_client` gets its own, once)."""
    paces = getattr(client, "tier_paces", None)
    if not isinstance(paces, TierPaces):
        paces = TierPaces()
        client.tier_paces = paces  # type: ignore[attr-defined]
    return paces


class SlackClient(AsyncWebClient):
    """The SDK's client whose failed calls raise the project's `SlackError` (bot/core/errors.py):
    Slack's errors are mapped here, once, and nowhere else."""

    tier_paces: TierPaces

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        try:
            return await super().api_call(api_method, **kwargs)
        except SlackError:
            raise
        except SlackApiError as exc:
            raise slack_error(exc, api_method) from exc


def slack_error(exc: SlackApiError, method: str) -> SlackError:
    """The project's error for the SDK's: the subclass that fits Slack's code."""
    code = error_code(exc)
    kind: type[SlackError] = SlackError
    if code == "not_in_channel":
        kind = SlackNotInChannel
    elif code in RECIPIENT_ERRORS:
        kind = SlackRecipientError
    elif code in CONFIG_ERRORS:
        kind = SlackRefusedApp
    elif code in TRANSIENT_ERRORS or code.startswith("http_5") or code == "http_429":
        kind = SlackUnavailable
    return kind(code, method, exc.response)


def make_client(
    token: str | None,
    base_url: str,
    *,
    pacer: Pacer,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    timeout: int = 30,
) -> AsyncWebClient:
    """The client every part of the app uses (made by `bot.core.runtime.build_runtime`).

    `OutageWatch` hears every answer first: it counts errors and logs an outage by `clock`.

    The handlers share one attempt counter per request, so the rate-limit handler gets the
    highest count: under a stretch of 429s it keeps honouring `Retry-After`. 429s and 5xx
    retries of `PACED_METHODS` go through the `pacer` (see the handlers above); posts
    (`ONCE_ONLY_METHODS`) get no 5xx or connection-error retry.
    """
    backoff = CappedBackoff()
    tiers = TierPaces()
    client = SlackClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[
            OutageWatch(SlackHealth(clock)),
            OnceOnlyConnectionErrorHandler(max_retry_count=4, interval_calculator=backoff),
            PacedServerErrorHandler(4, backoff, pacer),
            PacedRateLimitHandler(8, pacer, tiers),
        ],
    )
    client.tier_paces = tiers
    return client


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

    It starts at `per_second` and never goes above it. A 429 pauses every caller for
    `Retry-After` and cuts the rate by a fifth (once per burst of 429s), remembering the
    rate Slack refused. After a quiet second the rate climbs back: quickly (20% a second)
    to 85% of the refused rate, then slowly (1% a second), so it settles under Slack's
    limit instead of bouncing off it.
    """

    QUIET = 1.0  # seconds without a 429 before the rate climbs again
    CUT = 0.8  # the rate after a 429
    FAST, SLOW = 0.20, 0.01  # climb per second, as a share of the rate
    NEAR = 0.85  # the climb slows down at this share of the refused rate

    def __init__(
        self,
        per_second: float,
        burst: int = 1,
        *,
        floor: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        shared: SharedPace | None = None,
    ) -> None:
        self.shared = shared
        self.max_rate = per_second
        self.rate = per_second
        self.floor = min(floor, per_second)
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = 1.0  # the first request opens a connection: no burst behind it
        self._last = math.inf  # set by the first `wait`: no tokens saved up before it
        self._paused_until = 0.0
        self._limited_at = -math.inf
        self._refused_rate = per_second
        self._climbed_at = 0.0
        self._lock = asyncio.Lock()

    @property
    def paused_until(self) -> float:
        """The moment (on the pacer's clock) before which no caller is let through."""
        return self._paused_until

    def back_off(self, retry_after: float) -> None:
        """Slack said 429: pause every caller for `retry_after` seconds and slow down."""
        now = self._clock()
        if now - self._limited_at > 0.5:  # slow down once per burst of 429s
            self._refused_rate = self.rate
            self.rate = max(self.floor, self.rate * self.CUT)
        self._limited_at = now
        self._paused_until = max(self._paused_until, now + retry_after)
        self._tokens = 0.0  # Slack's bucket is empty: no burst right after the pause
        self._last = max(self._last, self._paused_until)

    async def wait(self) -> None:
        """Return when the caller may send; callers go one at a time, in order.

        With a `shared` pace the moment is reserved there (bot/core/pace.py), so every
        process sharing it keeps to this rate together; without, or when the database
        cannot answer, this process paces itself.
        """
        async with self._lock:
            if self.shared is not None and await self._wait_shared():
                return
            await self._wait_alone()

    async def _wait_shared(self) -> bool:
        assert self.shared is not None
        overslept = False
        while True:
            now = self._clock()
            self._climb(now)
            pause = max(0.0, self._paused_until - now)
            interval = 1 / self.rate
            delay = await self.shared.delay(interval, pause=pause)
            if delay is None:
                return False
            due = self._clock() + delay  # `delay` counts from the reservation's answer
            if delay > 0:
                await self._sleep(delay)
            woke = self._clock()
            if woke < self._paused_until:  # a 429 came back while we waited
                continue
            # Woken too late (the event loop was busy): that moment is gone, and sending
            # now would bunch with the next; once, so a slow loop still sends.
            if not overslept and too_late(due, woke, interval):
                overslept = True
                continue
            return True

    async def _wait_alone(self) -> None:
        while True:
            now = self._clock()
            if now < self._paused_until:
                await self._sleep(self._paused_until - now)
                continue
            self._climb(now)
            saved = max(0.0, now - self._last) * self.rate
            self._tokens = min(self.burst, self._tokens + saved)
            self._last = now
            if self._tokens > 1 - 1e-9:  # float error must not make a wait of ~0 s
                self._tokens -= 1
                return
            await self._sleep((1 - self._tokens) / self.rate)

    def _climb(self, now: float) -> None:
        quiet_since = self._limited_at + self.QUIET
        if self.rate >= self.max_rate or now <= quiet_since:
            self._climbed_at = now
            return
        seconds = now - max(self._climbed_at, quiet_since)
        growth = self.FAST if self.rate < self.NEAR * self._refused_rate else self.SLOW
        self.rate = min(self.max_rate, self.rate * (1 + growth * seconds))
        self._climbed_at = now


async def find_by_metadata(
    client: AsyncWebClient,
    *,
    channel: str,
    since: datetime,
    event_type: str,
    key: str,
    value: object,
) -> str | None:
    """The ts of the message in `channel` since `since` whose metadata has `key == value`.

    How an interrupted post is recognised instead of being posted twice: every message the
    bot posts for a row carries the row's id in its metadata.
    """
    cursor: str | None = None
    while True:
        page = await client.conversations_history(
            channel=channel,
            oldest=f"{since.timestamp():.6f}",
            include_all_metadata=True,
            limit=200,
            cursor=cursor,
        )
        messages: list[dict] = page.get("messages", [])
        for message in messages:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == event_type and payload.get(key) == value:
                return str(message["ts"])
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not page.get("has_more") or not cursor:
            return None
