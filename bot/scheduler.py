"""Scheduled work: one place registers the jobs; each job is a plain async function.

The due times live on database rows, so any number of `serve` / `worker` processes can
tick: each pass claims rows atomically, and a restart loses nothing.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core import metrics
from bot.core.errors import SlackConfigError
from bot.core.runtime import Runtime, settle_tasks
from bot.domain.reports import DeliveryReport
from bot.services import (
    autopilot,
    cases,
    delivery,
    digest,
    email_survey,
    exit_survey,
    milestones,
    privacy,
    shipping,
    webhooks,
)

log = logging.getLogger(__name__)


async def run_due(rt: Runtime, now: datetime | None = None) -> DeliveryReport:
    """One pass of every job: plan the autopilot's turns, ask the milestone surveys now due
    (bot/services/milestones.py), reconcile crashed sends, deliver,
    remind, expire, webhooks, the weekly digest when it is due, the week-later question on
    shipped requests, and blanking verbatims past RETAIN_COMMENTS."""
    moment = now or rt.now()
    planned = await autopilot.plan_due(rt, moment) + await milestones.ask_due(rt, moment)
    report = DeliveryReport(planned=planned)
    for job in (
        delivery.reconcile_stale,
        delivery.deliver_due,
        delivery.deliver_shared,
        delivery.send_reminders,
        delivery.expire_unanswered,
    ):
        try:
            report = report + await job(rt, moment)
        except SlackConfigError:
            break  # already logged; the next tick tries again once the token is fixed
    report = report + await _email(rt, moment)
    report.cards = await cases.post_pending_cards(rt, moment)
    await exit_survey.notify_pending(rt, moment)  # exit answers the CSM has not been sent yet
    report.escalated = await cases.escalate_due(rt, moment)
    report.webhooks = await webhooks.deliver_due(rt, moment)
    report.digests = await digest.post_due(rt, moment)
    await shipping.ask_due(rt, moment)  # "did it solve it?" a week after a request shipped
    await privacy.drop_old_verbatims(rt, moment)
    return report


async def _email(rt: Runtime, now: datetime) -> DeliveryReport:
    """The surveys bound for email (bot/services/email_survey.py), counted like the DMs."""
    report = await email_survey.reconcile_stale(rt, now) + await email_survey.deliver_due(rt, now)
    report.emailed = report.sent
    return report


async def drain(rt: Runtime, now: datetime | None = None, *, passes: int = 1000) -> DeliveryReport:
    """Repeat passes until no due work is left (deliveries come in batches)."""
    total = DeliveryReport()
    for _ in range(passes):
        report = await run_due(rt, now)
        total = total + report
        moved = report.sent + report.failed + report.reconciled + report.requeued + report.shared
        if moved + report.webhooks == 0:
            break
    return total


async def tick(rt: Runtime) -> None:
    started = time.monotonic()
    try:
        report = await drain(rt)
    except Exception:
        log.exception("scheduled pass failed")  # keep ticking; the rows are still due
        return
    finally:
        metrics.scheduler_pass(time.monotonic() - started)
    if any(vars(report).values()):
        log.info("scheduled pass", extra=vars(report))


def build_scheduler(rt: Runtime) -> AsyncIOScheduler:
    """An APScheduler that runs a pass every `SCHEDULER_TICK`, never two at once."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        tick,
        "interval",
        args=[rt],
        seconds=rt.settings.scheduler_tick.total_seconds(),
        id="voc-tick",
        max_instances=1,
        coalesce=True,
        next_run_time=rt.now(),
    )
    return scheduler


async def stop_scheduler(scheduler: AsyncIOScheduler) -> None:
    """Stop ticking and let a running pass finish (APScheduler would cancel it mid-write)."""
    scheduler.pause()
    await settle_tasks()
    scheduler.shutdown(wait=False)


async def run_worker(rt: Runtime) -> None:
    """The scheduler alone, until interrupted."""
    import asyncio
    import signal

    from handlers.web import monitoring

    await rt.start()
    await rt.db.upgrade()
    metrics_server = await monitoring.start(rt, rt.settings.metrics_port)
    scheduler = build_scheduler(rt)
    scheduler.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker started", extra={"tick_seconds": rt.settings.scheduler_tick.total_seconds()})
    try:
        await stop.wait()
    finally:
        await stop_scheduler(scheduler)
        if metrics_server is not None:
            await metrics_server.cleanup()
        await rt.close()
