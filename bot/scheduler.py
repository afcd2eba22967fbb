"""Scheduled work: one place registers the jobs; each job is a plain async function.

The due times live on database rows, so any number of `serve` / `worker` processes can
tick: each pass claims rows atomically, and a restart loses nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar, cast

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core import metrics
from bot.core.runtime import Runtime, settle_tasks
from bot.domain.errors import SlackConfigError
from bot.domain.reports import DeliveryReport
from bot.services import (
    autopilot,
    cases,
    crm_push,
    crm_sync,
    delivery,
    digest,
    email_survey,
    exit_survey,
    health,
    jira_push,
    jira_status,
    leadership,
    milestones,
    privacy,
    reach,
    shipping,
    webhooks,
    you_said,
    zendesk_push,
    zendesk_tickets,
)
from storage.db import outage

log = logging.getLogger(__name__)
T = TypeVar("T")


async def run_due(
    rt: Runtime, now: datetime | None = None, *, deliver: bool = True
) -> DeliveryReport:
    """One pass of every job: plan the autopilot's turns, ask the milestone surveys now due
    (bot/services/milestones.py), reconcile crashed sends, deliver (unless `deliver` is
    False: the scheduler delivers beside its passes, `deliver_tick`),
    remind, expire, webhooks, the weekly digest when it is due, the week-later question on
    shipped requests, and blanking verbatims past RETAIN_COMMENTS.

    A job that fails is logged and counted (`jobs_failed`), and the pass goes on with the
    next: its rows are still due, so the next pass tries it again.
    """
    moment = now or rt.now()
    jobs = _Pass(rt, moment)
    planned = await jobs.run(autopilot.plan_due, 0) + await jobs.run(milestones.ask_due, 0)
    report = DeliveryReport(planned=planned)
    for job in (
        delivery.reconcile_stale,
        *([delivery.deliver_due] if deliver else []),
        delivery.deliver_shared,
        delivery.send_reminders,
        delivery.expire_unanswered,
        _email,
    ):
        report = report + await jobs.run(job, DeliveryReport())
    report.cards = await jobs.run(cases.post_pending_cards, 0)
    await jobs.run(exit_survey.notify_pending, None)  # exit answers the CSM has not had yet
    report.escalated = await jobs.run(cases.escalate_due, 0)
    report.webhooks = await jobs.run(webhooks.deliver_due, 0)
    await jobs.run(crm_push.deliver_due, 0)  # scores and cases to the CRM (CRM=…)
    await jobs.run(zendesk_push.deliver_due, 0)  # CSAT notes on Zendesk tickets
    await jobs.run(jira_push.push_past_arr, 0)  # requests past JIRA_PUSH_ARR (JIRA_* set)
    await jobs.run(jira_push.deliver_due, 0)  # requests to Jira, one issue each
    await jobs.run(jira_status.poll_due, 0)  # Jira's status back, every 5 minutes
    await jobs.run(health.refresh_due, 0)  # account health: changed accounts, all daily
    report.digests = await jobs.run(digest.post_due, 0)
    await jobs.run(shipping.ask_due, None)  # "did it solve it?" a week after a request shipped
    await jobs.run(you_said.post_due, 0)  # last month's "you said, we did", once a month
    await jobs.run(leadership.post_due, 0)  # the monthly and quarterly leadership reports
    await jobs.run(privacy.drop_old_verbatims, None)
    report.jobs_failed = jobs.failed
    if jobs.outage is not None:  # every job met it: said once, by `tick`, for the pass
        raise jobs.outage
    return report


class _Pass:
    """Runs the jobs of one pass at one moment, so that one failing skips none of the others."""

    def __init__(self, rt: Runtime, now: datetime) -> None:
        self.rt, self.now, self.failed = rt, now, 0
        self.outage: Exception | None = None  # the first "database unavailable" of the pass

    async def run(self, job: Callable[[Runtime, datetime], Awaitable[Any]], failed: T) -> T:
        """The job's result; `failed` when it raised.

        Slack refusing the bot is logged where it happens (delivery pauses until an admin
        fixes it). The database being unavailable is kept for the end of the pass, which
        says it once (`tick`). Anything else is one ERROR line naming the job and the
        exception's type, never its message, which can hold an email or a comment; the
        traceback is at DEBUG.
        """
        try:
            return cast(T, await job(self.rt, self.now))
        except SlackConfigError:
            return failed
        except Exception as exc:
            self.failed += 1
            name = f"{job.__module__.rpartition('.')[2]}.{job.__name__}"
            if outage(exc) is not None:
                self.outage = self.outage or exc
                log.debug("scheduled job %s met a database outage", name, exc_info=True)
                return failed
            log.error("scheduled job failed", extra={"job": name, "error": type(exc).__name__})
            log.debug("scheduled job %s failed", name, exc_info=True)
            return failed


async def _email(rt: Runtime, now: datetime) -> DeliveryReport:
    """The surveys bound for email (bot/services/email_survey.py), counted like the DMs."""
    report = await email_survey.reconcile_stale(rt, now) + await email_survey.deliver_due(rt, now)
    report.emailed = report.sent
    return report


async def drain(
    rt: Runtime, now: datetime | None = None, *, passes: int = 1000, deliver: bool = True
) -> DeliveryReport:
    """Repeat passes until no due work is left (deliveries come in batches)."""
    total = DeliveryReport()
    for _ in range(passes):
        report = await run_due(rt, now, deliver=deliver)
        total = total + report
        moved = report.sent + report.failed + report.reconciled + report.requeued + report.shared
        if moved + report.webhooks == 0:
            break
    return total


async def tick(rt: Runtime) -> None:
    """The scheduler's pass: every job but the survey DMs, which `deliver_tick` sends."""
    started = time.monotonic()
    try:
        report = await drain(rt, deliver=False)
    except Exception as exc:  # keep ticking; the rows are still due
        failure = outage(exc)
        if failure is None:
            log.exception("scheduled pass failed")
        else:  # an outage is no bug: one line a pass, not a traceback
            log.error("scheduled pass failed: database unavailable", extra={"error": failure})
        return
    finally:
        metrics.scheduler_pass(time.monotonic() - started)
    if any(vars(report).values()):
        log.info("scheduled pass", extra=vars(report))


async def deliver_tick(rt: Runtime) -> None:
    """The survey DMs due, beside the passes, in one fan-out that claims until none is due.

    A campaign of thousands then goes out at the cap without a pause every `PASS_LIMIT`
    DMs (the last senders' retries held up each pass's end), and the passes' cards,
    escalations and webhooks no longer wait behind it. Rows that fall due while it runs
    are claimed by it too.
    """
    jobs = _Pass(rt, rt.now())
    report = await jobs.run(_deliver_all, DeliveryReport())
    if any(vars(report).values()):
        log.info("surveys delivered", extra=vars(report))
    if jobs.outage is not None:
        log.error("delivery failed: database unavailable", extra={"error": outage(jobs.outage)})


async def _deliver_all(rt: Runtime, now: datetime) -> DeliveryReport:
    return await delivery.deliver_due(rt, now, limit=None)


async def crm_tick(rt: Runtime) -> None:
    """The CRM sync when it is due (bot/services/crm_sync.py), beside the passes: a sync of
    thousands of records must not hold up the surveys' delivery."""
    jobs = _Pass(rt, rt.now())
    await jobs.run(crm_sync.sync_due, None)
    if jobs.outage is not None:
        log.error("CRM sync failed: database unavailable", extra={"error": outage(jobs.outage)})


async def reach_tick(rt: Runtime) -> None:
    """Find in Slack the people of the invitations `send` left `resolving`
    (bot/services/reach.py), beside the passes: a listing paced at Slack's tiers can take
    minutes, and the DMs to people already found go out meanwhile."""
    jobs = _Pass(rt, rt.now())
    resolved = await jobs.run(reach.resolve_pending, reach.Resolved())
    if resolved.found or resolved.unreachable:
        log.info(
            "reach resolved",
            extra={"found": resolved.found, "unreachable": resolved.unreachable},
        )
    if jobs.outage is not None:
        log.error("reach failed: database unavailable", extra={"error": outage(jobs.outage)})


async def zendesk_tick(rt: Runtime) -> None:
    """The Zendesk poll when it is due (bot/services/zendesk_tickets.py), beside the passes."""
    jobs = _Pass(rt, rt.now())
    await jobs.run(zendesk_tickets.sync_due, None)


def build_scheduler(rt: Runtime) -> AsyncIOScheduler:
    """An APScheduler that runs a pass every `SCHEDULER_TICK`, never two at once, beside it
    the survey DMs' delivery, the reach job and, with CRM or Zendesk set, jobs that look as
    often whether their sync is due (each its own job, never two at once)."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    jobs: list[tuple[str, Callable[[Runtime], Awaitable[object]]]] = [
        ("voc-tick", tick),
        ("voc-deliver", deliver_tick),
        ("voc-reach", reach_tick),
    ]
    if rt.settings.crm is not None:
        jobs.append(("voc-crm-sync", crm_tick))
    if rt.settings.zendesk_on:  # the export's poll; the job looks every tick if it is due
        jobs.append(("voc-zendesk-sync", zendesk_tick))
    for job_id, job in jobs:
        scheduler.add_job(
            job,
            "interval",
            args=[rt],
            seconds=rt.settings.scheduler_tick.total_seconds(),
            id=job_id,
            max_instances=1,
            coalesce=True,
            next_run_time=rt.now(),
        )
    return scheduler


async def stop_scheduler(scheduler: AsyncIOScheduler, rt: Runtime) -> None:
    """Stop ticking and let a running pass finish (APScheduler would cancel it mid-write).

    The delivery job, which may be in the middle of a campaign of thousands, claims no more
    rows (`rt.stopping`): its senders finish the few they hold, and the rest stay due.
    """
    rt.stopping.set()
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
        await stop_scheduler(scheduler, rt)
        if metrics_server is not None:
            await metrics_server.cleanup()
        await rt.close()
