"""Feature requests pushed to Jira as one issue each, through the outbox (`sink="jira"`).

`/voc request push ID` (staff), and the scheduler for a request whose asking accounts' ARR
reaches JIRA_PUSH_ARR, mark the request's push enqueued (once: a conditional UPDATE) and
add one outbox event in the same transaction. `deliver_due` creates the issue with the
request's name as the summary and an ADF description (blocks/jira.py) carrying the label
`voc-request-<id>`, and stores the issue's key on the request.

Exactly once: an event claimed again after an earlier delivery started (`tried_before`: a
crash, or a failure after the call went out) searches the project for the label first and
keeps the issue it finds; the connector does the same between its own retries of a create
that met a 429 / 5xx. Jira refusing the setup (a bad token, an unknown project) holds the
events with one ERROR line naming the setting (never the token), nothing written.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from blocks import jira as words
from bot.connectors.jira import Jira
from bot.core.runtime import Runtime
from bot.domain.errors import CrmSetupError, CrmUnavailable
from bot.domain.jira import PushOutcome, issue_url, request_label
from bot.domain.user_errors import JiraOff, NoSuchRequestId
from bot.services.webhooks import retry_or_give_up
from storage import crm_push as events
from storage import jira as store
from storage import outbox
from storage.outbox import Claimed

log = logging.getLogger(__name__)

SINK = "jira"
ISSUE = "jira.issue"  # {"request_id", "by"}: the request's one issue
BATCH = 10
LEASE = timedelta(minutes=10)  # longer than a create and its retries can take
SETUP_RETRY = timedelta(minutes=5)
SLACK_LINK = "https://slack.com/app_redirect?channel={channel}"
_random = random.Random()


async def push(rt: Runtime, *, request_id: int, user_id: str, now: datetime) -> PushOutcome:
    """`/voc request push ID`: enqueue the request's issue once and deliver it now.

    Jira's credentials and project are checked first, so a bad token or an unknown project
    is a clear message (a CrmSetupError naming the setting) and nothing is enqueued.
    """
    if not rt.settings.jira_on:
        raise JiraOff()
    async with rt.db.session() as session:
        facts = await store.request_facts(session=session, request_id=request_id)
    if facts is None:
        raise NoSuchRequestId(number=request_id)
    if facts.jira_key or facts.queued:
        return _outcome(rt, request_id, facts.name, facts.jira_key, queued=False)
    jira = Jira.from_settings(rt.settings)
    try:
        await jira.check()
    finally:
        await jira.close()
    queued = await _enqueue(rt, request_id, user_id, now)
    if queued:
        log.info("request queued for Jira", extra={"request_id": request_id})
        await deliver_due(rt, now)
    async with rt.db.session() as session:
        after = await store.request_facts(session=session, request_id=request_id)
    key = after.jira_key if after else None
    return _outcome(rt, request_id, facts.name, key, queued=queued)


async def check_at_start(rt: Runtime) -> bool:
    """Before `serve`, `worker` or `socket` start their loop: Jira's credentials and project.

    A refusal (bad token, unknown project) is raised, a CrmSetupError: the command prints
    its one line and exits 2 before anything runs. Jira being unreachable for now only
    warns: pushes stay due and the poll tries again. False when Jira is not configured.
    """
    if not rt.settings.jira_on:
        return False
    jira = Jira.from_settings(rt.settings)
    try:
        await jira.check()
    except CrmUnavailable as exc:
        log.warning("Jira did not answer at start; pushes wait", extra={"error": str(exc)})
    finally:
        await jira.close()
    return True


async def push_past_arr(rt: Runtime, now: datetime) -> int:
    """Scheduler job: enqueue every request whose asking ARR reached JIRA_PUSH_ARR."""
    threshold = rt.settings.jira_push_arr
    if not rt.settings.jira_on or threshold is None:
        return 0
    async with rt.db.session() as session:
        due = await store.requests_past_arr(session=session, threshold=threshold)
    queued = 0
    for request_id in due:
        queued += await _enqueue(rt, request_id, "jira_push_arr", now)
    if queued:
        log.info("requests past JIRA_PUSH_ARR queued for Jira", extra={"requests": queued})
    return queued


async def _enqueue(rt: Runtime, request_id: int, by: str, now: datetime) -> bool:
    async with rt.db.transaction() as session:
        if not await store.claim_push(session=session, request_id=request_id, now=now):
            return False
        await outbox.add_event(
            session=session,
            event_id=uuid.uuid4().hex,
            type=ISSUE,
            payload={"request_id": request_id, "by": by},
            now=now,
            sink=SINK,
        )
    return True


def _outcome(
    rt: Runtime, request_id: int, name: str, key: str | None, *, queued: bool
) -> PushOutcome:
    url = issue_url(str(rt.settings.jira_url), key) if key else None
    return PushOutcome(request_id=request_id, name=name, key=key, url=url, queued=queued)


async def deliver_due(
    rt: Runtime, now: datetime, *, draw: Callable[[], float] = _random.random
) -> int:
    """Scheduler job: create the issues of due push events; how many were delivered."""
    if not rt.settings.jira_on:
        return 0
    async with rt.db.transaction() as session:
        claimed = await outbox.claim_due(
            session=session, now=now, lease=LEASE, limit=BATCH, sink=SINK
        )
    if not claimed:
        return 0
    jira = Jira.from_settings(rt.settings)
    delivered = 0
    try:
        for index, event in enumerate(claimed):
            try:
                note = await _deliver(rt, jira, event)
            except CrmSetupError as exc:
                log.error("Jira push paused", extra={"error": str(exc)})
                async with rt.db.transaction() as session:
                    await events.hold(
                        session=session, id=event.id, due_at=now + SETUP_RETRY, error=str(exc)
                    )
                    await events.release(session=session, ids=[e.id for e in claimed[index + 1 :]])
                return delivered
            except CrmUnavailable as exc:
                await _failed(rt, event, str(exc), now, draw)
                async with rt.db.transaction() as session:
                    await events.release(session=session, ids=[e.id for e in claimed[index + 1 :]])
                return delivered
            except Exception as exc:  # one event's bug must not stop the others
                log.debug("Jira push failed", exc_info=True)
                await _failed(rt, event, type(exc).__name__, now, draw)
                continue
            async with rt.db.transaction() as session:
                await events.settle(session=session, id=event.id, now=rt.now(), note=note)
            delivered += 1
    finally:
        await jira.close()
    return delivered


async def _deliver(rt: Runtime, jira: Jira, event: Claimed) -> str | None:
    """Create the event's issue (or find the one an earlier try created); None when written,
    else why nothing was."""
    request_id = int(event.payload["request_id"])
    async with rt.db.session() as session:
        facts = await store.request_facts(session=session, request_id=request_id)
    if facts is None:
        return "the request is gone"
    if facts.jira_key:
        return f"already in Jira as {facts.jira_key}"
    found = await jira.find_labelled(request_label(request_id)) if event.tried_before else None
    if found is not None:
        key, note = found.key, f"found in Jira as {found.key}"
    else:
        channel = rt.settings.insights_channel or rt.settings.voc_channel
        link = SLACK_LINK.format(channel=channel) if channel else None
        key, note = await jira.create_issue(words.issue_draft(facts, link=link)), None
    async with rt.db.transaction() as session:
        await store.record_key(session=session, request_id=request_id, key=key)
    log.info("request pushed to Jira", extra={"request_id": request_id, "jira_key": key})
    return note


async def _failed(
    rt: Runtime, event: Claimed, error: str, now: datetime, draw: Callable[[], float]
) -> None:
    if await retry_or_give_up(rt, event, error, now, draw):
        log.error("Jira push given up", extra={"event": event.id, "attempts": event.attempts + 1})
        return
    log.warning("Jira push not delivered; will retry", extra={"event": event.id, "error": error})
