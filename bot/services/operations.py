"""`GET /metrics`: this process's counters plus the database's counts, read at each scrape;
`GET /healthz`: whether the database answers and can be written."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Gauge, generate_latest

from bot.core import metrics
from bot.core.diagnose import startup_failure
from bot.core.logs import one_line
from bot.core.runtime import Runtime
from storage.operations import probe_read, probe_write, snapshot

log = logging.getLogger(__name__)
HEALTH_TIMEOUT = 10.0  # seconds a health check waits for the database before it says so


@dataclass(frozen=True)
class DatabaseHealth:
    """`ok`, `unreachable` or `read-only`, and for the last two what an operator should check."""

    state: str
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.state == "ok"


async def database_health(rt: Runtime) -> DatabaseHealth:
    """Read, then write without changing anything (rolled back): can the app do its work?"""
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT), rt.db.session() as session:
            await probe_read(session=session)
    except Exception as exc:  # the point of a health check is to say so, not to crash
        log.error("health check: database unreachable", extra={"error": repr(exc)})
        return DatabaseHealth("unreachable", _explain(rt, exc, "the database does not answer"))
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT), rt.db.session() as session:
            await probe_write(session=session)
            await session.rollback()
    except Exception as exc:
        log.error("health check: database cannot be written", extra={"error": repr(exc)})
        return DatabaseHealth("read-only", _explain(rt, exc, "the database refuses writes"))
    return DatabaseHealth("ok")


def _explain(rt: Runtime, exc: Exception, what: str) -> str:
    """One line for the operator: start-up's diagnosis when it has one, else what and why."""
    named = startup_failure(exc, database_url=rt.db.url, slack_url=rt.settings.slack_api_url)
    if named is not None:
        return str(named)
    if isinstance(exc, TimeoutError):
        return f"{what} within {HEALTH_TIMEOUT:.0f} s: is it overloaded or locked?"
    cause = getattr(exc, "orig", None) or exc
    said = one_line(str(cause).splitlines()[0] if str(cause) else type(cause).__name__)[:160]
    return f"{what}: {said}; check DATABASE_URL's server, user and disk"


async def metrics_text(rt: Runtime) -> bytes:
    """The Prometheus text exposition of every metric README.md's "Running it" lists."""
    now = rt.now()
    async with rt.db.session() as session:
        ops = await snapshot(session=session, now=now)
    registry = CollectorRegistry(auto_describe=True)
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
    _gauge(registry, "voc_pacer_rate", "Survey posts per second allowed now", rt.pacer.rate)
    acked = len(rt.pending)
    _gauge(registry, "voc_acked_work_running", "Acked Slack requests still being worked on", acked)
    return generate_latest(metrics.REGISTRY) + generate_latest(registry)


def _gauge(registry: CollectorRegistry, name: str, help_text: str, value: float) -> None:
    Gauge(name, help_text, registry=registry).set(value)
