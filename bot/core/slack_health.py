"""Whether Slack is answering: an outage (5xx or no answer) shows as WARNING lines in the log.

`SlackHealth` sees every answer of the one Slack client (bot/core/slack.py's `OutageWatch`
hands them over). The first server error or connection failure after a healthy spell logs
one WARNING naming the method and the status; while the failures go on, one WARNING a
minute at most says how many there were since the last line; when Slack answers again (and
no failure came for `SETTLE`), one WARNING says how long it lasted. The time source is the
runtime's clock, so the tests pass minutes of an outage in an instant.

Before Slack has answered once, a single failure is not yet called an outage: a process
whose start-up check (`auth.test`) fails says so in one line of its own (bot/cli.py); the
second failure in a row is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

log = logging.getLogger(__name__)

REPEAT = timedelta(minutes=1)  # at most one "still failing" line this often
# A success this soon after a failure does not end the outage yet: under a partial outage
# (some answers lost) the log keeps one line a minute instead of flapping up and down.
SETTLE = timedelta(seconds=30)


def span(value: timedelta) -> str:
    """`45 s`, `1 min`, `12 min`: how long an outage lasted, for the log."""
    seconds = max(0, int(value.total_seconds()))
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min"


class SlackHealth:
    """The outage state of one Slack client: healthy, or failing since a time."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self.down_since: datetime | None = None
        self._last_failure: datetime | None = None
        self._last_said: datetime | None = None
        self._unsaid = 0  # failures since the last line
        self.failures = 0  # failures in this outage
        self._answered_once = False

    def failed(self, method: str, status: str) -> None:
        """A call got a 5xx or no answer: `status` is `503` or `no answer (TimeoutError)`."""
        now = self._clock()
        self._last_failure = now
        self.failures += 1
        self._unsaid += 1
        if self.down_since is None:
            self.down_since = now
            if not self._answered_once:
                return  # one failure at start: the start-up check speaks for it
        if self._last_said is None:
            self._say(
                now,
                f"Slack is failing: {method} got {status}; "
                "work that needs Slack waits and is retried (see status.slack.com)",
                method=method,
                status=status,
            )
        elif now - self._last_said >= REPEAT:
            self._say(
                now,
                f"Slack is still failing after {span(now - self.down_since)}: "
                f"{self._unsaid} failed calls since the last line, the last {method} {status}",
                method=method,
                status=status,
                failed_calls=self._unsaid,
            )

    def answered(self) -> None:
        """A call got an answer that was not a server error (a 4xx or 429 counts too)."""
        self._answered_once = True
        if self.down_since is None or self._last_failure is None:
            return
        now = self._clock()
        if now - self._last_failure < SETTLE:
            return
        if self._last_said is not None:  # an outage that was said to start is said to end
            log.warning(
                f"Slack answers again after {span(now - self.down_since)}",
                extra={"failed_calls": self.failures},
            )
        self.down_since = self._last_failure = self._last_said = None
        self.failures = self._unsaid = 0

    def _say(self, now: datetime, message: str, **fields: object) -> None:
        log.warning(message, extra=fields)
        self._last_said = now
        self._unsaid = 0
