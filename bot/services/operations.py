"""`GET /metrics`: this process's counters plus the database's counts, read at each scrape."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge, generate_latest

from bot.core import metrics
from bot.core.runtime import Runtime
from storage.operations import snapshot


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
