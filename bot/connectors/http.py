"""One HTTP session a CRM: calls counted, 429 and 5xx retried as the vendors document.

A 429 waits what `Retry-After` says (or a capped exponential backoff when it says nothing);
a 500, 502, 503 or 504 and a dropped connection back off the same way. After `retries`
such answers the call raises `CrmUnavailable`: nothing after it runs, so a sync keeps its
cursor at the last whole page and a push event stays due. Any other answer is returned to
the connector, which knows what its vendor's 400, 401, 403 and 404 mean.

A connector may pace itself before each call (`pace`): HubSpot's burst window, for one,
is cheaper to respect than to hit.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.domain.errors import CrmSetupError, CrmUnavailable

log = logging.getLogger(__name__)

RETRIED = frozenset({429, 500, 502, 503, 504})
FIRST_WAIT = 1.0  # seconds; doubled per retry
MAX_WAIT = 60.0
TIMEOUT = aiohttp.ClientTimeout(total=60, sock_connect=10)


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any  # the parsed JSON, or the text when it is not JSON, or None when empty
    headers: Mapping[str, str]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class CrmHttp:
    """An aiohttp session against one CRM's base URL.

    `label` names the CRM in errors ("HubSpot"); `url_setting` is the setting that holds
    the base URL, named when the address cannot be reached. `sleep` is injectable so
    tests of the retry schedule need not wait.
    """

    def __init__(
        self,
        *,
        base_url: str,
        label: str,
        url_setting: str,
        headers: Mapping[str, str] | None = None,
        retries: int = 6,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        pace: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.label, self.url_setting = label, url_setting
        self.headers = dict(headers or {})
        self.retries, self.sleep, self.pace = retries, sleep, pace
        self.calls = 0  # requests sent, retries included
        self.retried = 0  # answers that were 429 / 5xx / no answer
        self._session: aiohttp.ClientSession | None = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        retries: int | None = None,
    ) -> Answer:
        """Send one call (retried on 429 / 5xx); `path` is relative to the base URL or a
        whole URL. Raises CrmUnavailable when the retries are spent, CrmSetupError when the
        base URL cannot be reached at all. `retries` overrides the session's for one call (0:
        a write that must not be sent twice blindly)."""
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        tries = self.retries if retries is None else retries
        for attempt in range(tries + 1):
            if self.pace is not None:
                await self.pace(path)
            self.calls += 1
            try:
                answer = await self._send(method, url, json_body, params, data, headers)
            except aiohttp.ClientConnectorError as exc:
                if self.calls == 1:  # never reached: the URL is wrong, not the CRM down
                    raise CrmSetupError(
                        f"{self.label} could not be reached at {self.base_url}: check "
                        f"{self.url_setting} ({type(exc).__name__})"
                    ) from None
                failure = type(exc).__name__
                wait = None
            except (TimeoutError, aiohttp.ClientError) as exc:
                failure, wait = type(exc).__name__, None
            else:
                if answer.status not in RETRIED:
                    return answer
                failure = f"HTTP {answer.status}"
                wait = _retry_after(answer.headers)
            self.retried += 1
            if attempt == tries:
                break
            delay = wait if wait is not None else min(FIRST_WAIT * 2**attempt, MAX_WAIT)
            log.info(
                "CRM call retried",
                extra={"crm": self.label, "failure": failure, "wait_s": round(delay, 2)},
            )
            await self.sleep(delay)
        raise CrmUnavailable(
            f"{self.label} kept failing ({failure}) after {tries + 1} tries: "
            "nothing was half-written; the next run goes on from here",
            wait=wait,  # the last answer's Retry-After, for a caller that retries itself
        )

    async def _send(
        self,
        method: str,
        url: str,
        json_body: Any,
        params: Mapping[str, str] | None,
        data: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
    ) -> Answer:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT, headers=self.headers)
        async with self._session.request(
            method,
            url,
            json=json_body,
            params=params,
            data=data,
            headers=headers,
            allow_redirects=False,
        ) as response:
            text = await response.text()
            return Answer(response.status, _parse(text), dict(response.headers))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _parse(text: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from `Retry-After` (a number of seconds); None when absent or a date."""
    value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None
