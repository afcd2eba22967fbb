"""Jira's status back on the requests pushed there: by webhook (`POST /hooks/jira`) and by a
JQL poll (`updated >= cursor`) every POLL_EVERY while Jira is configured.

A status in the "In Progress" category (statusCategory `indeterminate`) marks the request
planned, "Done" (`done`) marks it shipped and runs the ship flow: everyone who asked is told
once, and asked "did it solve it?" a week later. Only the category is read: comments and
other edits are not copied back. The request keeps the category it last acted on, and the
planned and ship flows are themselves once-only, so a webhook and a poll reporting the same
change act once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from bot.connectors.jira import Jira
from bot.core.runtime import Runtime
from bot.domain.errors import CrmSetupError, CrmUnavailable, UserError
from bot.domain.jira import JiraIssue, RequestMove, issue_of, state_for
from bot.services import shipping
from storage import jira as store

log = logging.getLogger(__name__)

POLL_EVERY = timedelta(minutes=5)
POLL_LEASE = timedelta(minutes=10)
ACTOR = "jira"  # who planned or shipped a request Jira moved (feature_requests.*_by)
ISSUE_EVENTS = frozenset({"jira:issue_updated", "jira:issue_created"})


async def webhook(rt: Runtime, event: dict[str, Any], now: datetime) -> RequestMove | None:
    """A verified Jira webhook: an issue's change (other events are ignored)."""
    raw = event.get("issue")
    if event.get("webhookEvent") not in ISSUE_EVENTS or not isinstance(raw, dict):
        return None
    return await issue_changed(rt, issue_of(raw), now)


async def issue_changed(rt: Runtime, issue: JiraIssue, now: datetime) -> RequestMove | None:
    """Act on an issue's status category when it moved since VoC bot last acted on it."""
    if not issue.key or issue.category is None:
        return None
    async with rt.db.session() as session:
        found = await store.request_of_issue(
            session=session, key=issue.key, request_id=issue.request_id
        )
    if found is None:
        return None
    request_id, name, last = found
    if issue.category == last:
        return None
    move = state_for(issue.category)
    if move is not None:
        await move_request(rt, request_id=request_id, name=name, move=move, now=now)
    async with rt.db.transaction() as session:
        await store.record_category(session=session, request_id=request_id, category=issue.category)
    log.info(
        "Jira status came back",
        extra={"request_id": request_id, "jira_key": issue.key, "category": issue.category},
    )
    return move


async def move_request(
    rt: Runtime, *, request_id: int, name: str, move: RequestMove, now: datetime
) -> None:
    """The one place a Jira status changes a request: the planned or the ship flow (each
    tells the people who asked, once). A request shipped already is not planned again."""
    try:
        if move is RequestMove.SHIPPED:
            await shipping.ship(rt, feature=name, user_id=ACTOR, now=now)
        else:
            await shipping.plan(rt, feature=name, user_id=ACTOR, now=now)
    except UserError as exc:  # e.g. shipped already: nothing to plan
        log.info(
            "Jira status left the request as it is",
            extra={"request_id": request_id, "reason": exc.key},
        )


async def poll_due(rt: Runtime, now: datetime) -> int:
    """Scheduler job: every POLL_EVERY, read the issues updated since the cursor and act on
    each; how many moved a request. The cursor moves only after a whole pass."""
    if not rt.settings.jira_on:
        return 0
    project = str(rt.settings.jira_project)
    async with rt.db.transaction() as session:
        taken, cursor = await store.claim_poll(
            session=session, project=project, now=now, every=POLL_EVERY, lease=POLL_LEASE
        )
    if not taken:
        return 0
    jira = Jira.from_settings(rt.settings)
    moved, latest, error = 0, cursor, None
    try:
        async for issue in jira.changed_since(cursor, label="voc"):
            moved += await issue_changed(rt, issue, now) is not None
            if issue.updated is not None and (latest is None or issue.updated > latest):
                latest = issue.updated
    except (CrmSetupError, CrmUnavailable) as exc:
        error, latest = str(exc), None  # the cursor stays: the next poll reads it all again
        log.error("Jira poll failed", extra={"error": error})
    finally:
        await jira.close()
    async with rt.db.transaction() as session:
        await store.finish_poll(
            session=session, project=project, cursor=latest, now=now, error=error
        )
    return moved
