"""Process-wide counters for `GET /metrics` (Prometheus text format).

What only this process can count lives here: Slack's 429s and 5xx (counted in
bot/core/slack.py's retry handlers) and the scheduler's passes (bot/scheduler.py). The
database's counts are read at each scrape (bot/services/operations.py).
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

SLACK_ERRORS = Counter(
    "voc_slack_errors",
    "Slack Web API answers that were errors, by kind (429 or 5xx) and method",
    ["kind", "method"],
    registry=REGISTRY,
)
SCHEDULER_PASS = Histogram(
    "voc_scheduler_pass_seconds",
    "How long one scheduler pass took",
    buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300),
    registry=REGISTRY,
)
LAST_PASS = Gauge(
    "voc_scheduler_last_pass_timestamp_seconds",
    "When the last scheduler pass ended (Unix time)",
    registry=REGISTRY,
)
_last_pass: list[float] = []  # monotonic end of the last pass, if any


def slack_error(kind: str, method: str) -> None:
    SLACK_ERRORS.labels(kind=kind, method=method).inc()


def scheduler_pass(seconds: float) -> None:
    SCHEDULER_PASS.observe(seconds)
    LAST_PASS.set(time.time())
    _last_pass[:] = [time.monotonic()]


def last_pass_age() -> float | None:
    """Seconds since the last scheduler pass in this process; None before the first."""
    return time.monotonic() - _last_pass[0] if _last_pass else None
