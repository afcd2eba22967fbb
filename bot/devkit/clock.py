"""A clock that moves only when told: the demo and the tests jump ahead instead of waiting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# A Tuesday morning: a working day in every send window.
DEFAULT_START = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


class FakeClock:
    """An injected clock (`Runtime.clock`, `SlackEmulator(clock=...)`) that time never moves.

    Calling it gives the current time; `advance` jumps forward, so two days of a survey's
    life pass in an instant.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or DEFAULT_START

    def __call__(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> datetime:
        """Move the time forward by `delta` and return the new time."""
        self.current += delta
        return self.current
