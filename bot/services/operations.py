"""`GET /metrics`: this process's counters plus the database's counts (read at most once a
scrape interval); `GET /healthz`: whether the database answers and can be written."""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry, Gauge, generate_latest

from bot.core import metrics
from bot.core.diagnose import startup_failure
from bot.core.logs import one_line
from bot.core.runtime import Runtime
from bot.domain.figures import OpsSnapshot
from storage.db import outage
from storage.operations import checkpoint, probe_read, probe_write, snapshot

log = logging.getLogger(__name__)
HEALTH_TIMEOUT = 10.0  # seconds a health check waits for the database before it says so
SCRAPE_EVERY = timedelta(seconds=15)  # Prometheus' usual scrape interval


@dataclass(frozen=True)
class DatabaseHealth:
    """`ok`, `unreachable` or `read-only`, and for the last two what an operator should check."""

    state: str
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.state == "ok"


async def database_health(rt: Runtime) -> DatabaseHealth:
    """Read, then commit a write that leaves nothing behind (and, on SQLite, checkpoint it
    into the file): can the app do its work? A failure is logged here, once, with the
    reason; the caller says no more than "unavailable" to whoever asked."""
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT), rt.db.session() as session:
            await probe_read(session=session)
    except Exception as exc:  # the point of a health check is to say so, not to crash
        return _failed("unreachable", _explain(rt, exc, "the database does not answer"))
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT):
            async with rt.db.transaction() as session:
                await probe_write(session=session, mark=f"healthz-{secrets.token_hex(8)}")
            async with rt.db.session() as session:
                await checkpoint(session=session)
    except Exception as exc:
        return _failed("read-only", _explain(rt, exc, "the database refuses writes"))
    return DatabaseHealth("ok")


def _failed(state: str, reason: str) -> DatabaseHealth:
    log.error("health check: database unavailable", extra={"state": state, "reason": reason})
    return DatabaseHealth(state, reason)


def _explain(rt: Runtime, exc: Exception, what: str) -> str:
    """One line for the operator: start-up's diagnosis when it has one, else what and why."""
    named = startup_failure(exc, database_url=rt.db.url, slack_url=rt.settings.slack_api_url)
    if named is not None:
        return str(named)
    if isinstance(exc, TimeoutError):
        return f"{what} within {HEALTH_TIMEOUT:.0f} s: is it overloaded or locked?"
    cause = getattr(exc, "orig", None) or exc
    said = one_line(str(cause).splitlines()[0] if str(cause) else type(cause).__name__)[:160]
    if rt.db.dialect == "sqlite":
        path = rt.db.engine.url.database or ""
        return f"{what}: {said}; check the file {path}, its folder and the disk"
    return f"{what}: {said}; check DATABASE_URL's server, user and disk"


class DatabaseCounts:
    """The database's counts for `/metrics`, read at most once per `every`.

    They are counted in the database (a GROUP BY over the invitations) because every
    process changes those rows: a counter kept in one process would miss the others' work
    and start again at zero on each restart. Read at every scrape, though, anyone who can
    reach `/metrics` could make the database scan the table as often as they liked; so a
    read is kept for one scrape interval, and scrapes that arrive together share it.
    """

    def __init__(self, every: timedelta = SCRAPE_EVERY) -> None:
        self.every = every
        self._read: tuple[datetime, OpsSnapshot] | None = None
        self._lock = asyncio.Lock()

    async def read(self, rt: Runtime) -> OpsSnapshot:
        async with self._lock:
            now = rt.now()
            if self._read is None or not self._read[0] <= now < self._read[0] + self.every:
                async with rt.db.session() as session:
                    self._read = (now, await snapshot(session=session, now=now))
            return self._read[1]


async def metrics_text(rt: Runtime, counts: DatabaseCounts) -> bytes:
    """The Prometheus text exposition of every metric docs/operations.md lists.

    With the database unavailable, this process's own counters still go out, with
    `voc_database_up 0`, and the failure is one log line.
    """
    registry = CollectorRegistry(auto_describe=True)
    _gauge(registry, "voc_pacer_rate", "Survey posts per second allowed now", rt.pacer.rate)
    acked = len(rt.pending)
    _gauge(registry, "voc_acked_work_running", "Acked Slack requests still being worked on", acked)
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT):  # a hung database must not hang scrapes
            ops = await counts.read(rt)
    except Exception as exc:
        failure = outage(exc)
        if failure is None:
            raise
        log.error("metrics: database unavailable", extra={"error": failure})
        _gauge(registry, "voc_database_up", "1 when the database's counts could be read", 0)
        return generate_latest(metrics.REGISTRY) + generate_latest(registry)
    _gauge(registry, "voc_database_up", "1 when the database's counts could be read", 1)
    _database_gauges(registry, ops, rt.now())
    return generate_latest(metrics.REGISTRY) + generate_latest(registry)


def _database_gauges(registry: CollectorRegistry, ops: OpsSnapshot, now: datetime) -> None:
    surveys = Gauge(
        "voc_surveys",
        "Survey invitations by status (sent, failed, answered …), kind and channel",
        ["status", "kind", "channel"],
        registry=registry,
    )
    for (status, kind, channel), count in ops.invitations.items():
        surveys.labels(status=status, kind=kind, channel=channel).set(count)
    _gauge(registry, "voc_due_backlog", "Surveys due and not yet claimed", ops.due_backlog)
    _gauge(registry, "voc_webhook_backlog", "Webhooks not yet delivered", ops.outbox_backlog)
    oldest = (now - ops.outbox_oldest).total_seconds() if ops.outbox_oldest else 0.0
    _gauge(registry, "voc_webhook_oldest_age_seconds", "Age of the oldest undelivered", oldest)
    _gauge(registry, "voc_escalations", "Escalation steps taken, all cases", ops.escalations)


def _gauge(registry: CollectorRegistry, name: str, help_text: str, value: float) -> None:
    Gauge(name, help_text, registry=registry).set(value)
