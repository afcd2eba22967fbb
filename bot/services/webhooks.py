"""Outgoing webhooks: `response.created`, `case.opened` and `case.closed`, signed, at least once.

An event is written to the outbox in the same transaction as what it reports, so it exists
exactly when the fact does. A scheduler pass leases due events, POSTs each to WEBHOOK_URL
and marks it delivered on a 2xx answer; anything else makes it due again after a capped
exponential backoff with jitter, until WEBHOOK_GIVE_UP after it was written: then it is a
dead letter, listed by `webhooks failed` and sent again by `webhooks retry ID`. Receivers
de-duplicate on the event id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks.webhooks import Webhook

from bot.core.config import Settings
from bot.core.runtime import Runtime
from bot.domain.records import DeadLetter
from bot.domain.user_errors import NoDeadLetter
from storage import outbox
from storage.models import FollowUpCase
from storage.outbox import Claimed

log = logging.getLogger(__name__)

RESPONSE_CREATED = "response.created"
CASE_OPENED = "case.opened"
CASE_CLOSED = "case.closed"

BATCH = 20
TIMEOUT = aiohttp.ClientTimeout(total=10)
LEASE = timedelta(minutes=5)  # longer than BATCH sends of 10 s: nobody else takes them meanwhile
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)
# Each wait is drawn within ±20% of `backoff`'s schedule, so the events that failed together
# (a receiver that was down) do not all come back in the same second.
JITTER = 0.2
LOUD_AFTER = 10  # attempts; past this a failing receiver is logged as an error
_warned: set[str] = set()
_random = random.Random()


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure: 30 s, 1 m, 2 m … at most 1 h."""
    exponent = min(max(attempts - 1, 0), 16)  # bounded: attempts grow forever
    return min(FIRST_RETRY * 2**exponent, MAX_RETRY)


def retry_wait(attempts: int, draw: Callable[[], float]) -> timedelta:
    """`backoff(attempts)` moved by up to ±JITTER; `draw()` gives a number in [0, 1)."""
    return backoff(attempts) * (1 - JITTER + 2 * JITTER * draw())


async def retry_or_give_up(
    rt: Runtime, event: Claimed, error: str, now: datetime, draw: Callable[[], float]
) -> bool:
    """An outbox event whose delivery failed: due again after `retry_wait`, or a dead letter
    once it is WEBHOOK_GIVE_UP old. True when it was given up. The CRM, Jira and Zendesk
    pushes share it; each says in its own log line what was not delivered."""
    async with rt.db.transaction() as session:
        if now - event.created_at >= rt.settings.webhook_give_up:
            await outbox.give_up(session=session, id=event.id, error=error, now=now)
            return True
        due_at = now + retry_wait(event.attempts + 1, draw)
        await outbox.reschedule(session=session, id=event.id, error=error, due_at=due_at)
    return False


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of `<timestamp>.<raw body>` keyed with the secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def event_body(*, event_id: str, type: str, created_at: datetime, data: dict[str, Any]) -> bytes:
    """The JSON POSTed for one event (the exact bytes that are signed)."""
    envelope = {"id": event_id, "type": type, "created_at": created_at.isoformat(), "data": data}
    return json.dumps(envelope, separators=(",", ":")).encode()


def standard_signature(secret: str, event_id: str, timestamp: str, body: bytes) -> str:
    """The Standard Webhooks `webhook-signature`: `v1,<base64 HMAC-SHA256>` of
    `<id>.<timestamp>.<body>`. A `whsec_…` secret is base64, as that standard writes it;
    any other WEBHOOK_SECRET is used as raw bytes (the receiver uses the same bytes)."""
    key: str | bytes = secret if secret.startswith("whsec_") else secret.encode()
    at = datetime.fromtimestamp(int(timestamp), UTC)
    return Webhook(key).sign(msg_id=event_id, timestamp=at, data=body.decode())


def request_headers(
    *, event_id: str, body: bytes, timestamp: str, secret: str | None
) -> dict[str, str]:
    """Content type, event id and timestamp, and the signatures when there is a secret.

    Both header sets are sent: the Standard Webhooks ones (`webhook-id`,
    `webhook-timestamp`, `webhook-signature`) and, for one more release, the `X-VoC-*` ones.
    """
    headers = {
        "Content-Type": "application/json",
        "X-VoC-Event-Id": event_id,
        "X-VoC-Timestamp": timestamp,
        "webhook-id": event_id,
        "webhook-timestamp": timestamp,
    }
    if secret:
        headers["X-VoC-Signature"] = sign(secret, timestamp, body)
        headers["webhook-signature"] = standard_signature(secret, event_id, timestamp, body)
    return headers


async def enqueue(
    session: AsyncSession,
    *,
    settings: Settings,
    type: str,
    payload: dict[str, Any],
    now: datetime,
) -> str:
    """Add an event in the caller's transaction; its id, or "" when WEBHOOK_URL is unset."""
    if not settings.webhook_url:
        return ""
    event_id = uuid.uuid4().hex
    await outbox.add_event(
        session=session, event_id=event_id, type=type, payload=_plain(payload), now=now
    )
    return event_id


async def response_created(
    session: AsyncSession,
    *,
    settings: Settings,
    response_id: int,
    invitation_id: int,
    kind: str,
    score: int,
    category: str,
    now: datetime,
) -> str:
    """Enqueue `response.created` for a just-recorded answer."""
    if not settings.webhook_url:
        return ""  # skip the lookup: this runs on every tap
    facts = await outbox.response_facts(session=session, invitation_id=invitation_id)
    data = {
        "response_id": response_id,
        "invitation_id": invitation_id,
        "kind": kind,
        "score": score,
        "category": category,
        "answered_at": now,
        "trigger": facts.trigger,
        "context": facts.context,
        "contact": {"email": facts.email},
        "account": {"name": facts.account_name, "crm_id": facts.crm_id},
    }
    return await enqueue(session, settings=settings, type=RESPONSE_CREATED, payload=data, now=now)


async def case_opened(
    session: AsyncSession,
    *,
    settings: Settings,
    case_id: int,
    response_id: int | None,
    account_id: int,
    kind: str,
    score: int,
    review: str,
    opened_at: datetime,
) -> str:
    """Enqueue `case.opened` for a just-opened follow-up case (a health case: kind
    "health", the health score, no response_id)."""
    if not settings.webhook_url:
        return ""
    data = {
        "case_id": case_id,
        "response_id": response_id,
        "kind": kind,
        "score": score,
        "review": review,
        "opened_at": opened_at,
        "account": await outbox.account_ref(session=session, account_id=account_id),
    }
    return await enqueue(session, settings=settings, type=CASE_OPENED, payload=data, now=opened_at)


async def case_closed(
    session: AsyncSession, *, settings: Settings, case_id: int, now: datetime
) -> str:
    """Enqueue `case.closed` for a case whose logged outcome just closed it."""
    case = await session.get(FollowUpCase, case_id)
    if not settings.webhook_url or case is None:
        return ""
    data = {
        "case_id": case_id,
        "outcome": case.outcome,
        "note": case.note,
        "logged_by": case.logged_by,
        "closed_at": case.closed_at or now,
        "account": await outbox.account_ref(session=session, account_id=case.account_id),
    }
    return await enqueue(session, settings=settings, type=CASE_CLOSED, payload=data, now=now)


async def deliver_due(
    rt: Runtime, now: datetime, *, draw: Callable[[], float] = _random.random
) -> int:
    """Scheduler job: lease due events, POST each one; returns how many were delivered.

    `draw` is the random source of the retry jitter (tests pass a seeded one).
    """
    url = rt.settings.webhook_url
    if not url:
        return 0
    async with rt.db.transaction() as session:
        claimed = await outbox.claim_due(session=session, now=now, lease=LEASE, limit=BATCH)
    if not claimed:
        return 0
    delivered = 0
    async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
        for event in claimed:
            delivered += await _deliver_one(rt, http, url, event, now, draw)
    return delivered


async def _deliver_one(
    rt: Runtime,
    http: aiohttp.ClientSession,
    url: str,
    event: Any,
    now: datetime,
    draw: Callable[[], float],
) -> bool:
    body = event_body(
        event_id=event.event_id, type=event.type, created_at=event.created_at, data=event.payload
    )
    error = await _post(http, url, body, _headers(rt, event.event_id, body))
    attempts = event.attempts + 1
    async with rt.db.transaction() as session:
        if error is None:
            await outbox.mark_delivered(session=session, id=event.id, now=rt.now())
        elif now - event.created_at >= rt.settings.webhook_give_up:
            await outbox.give_up(session=session, id=event.id, error=error, now=now)
        else:
            due_at = now + retry_wait(attempts, draw)
            await outbox.reschedule(session=session, id=event.id, error=error, due_at=due_at)
    if error is not None:
        _log_failure(event, attempts, error)
        if now - event.created_at >= rt.settings.webhook_give_up:
            log.error(
                "webhook given up: `python -m bot webhooks failed` lists it, "
                "`python -m bot webhooks retry ID` sends it again",
                extra={"event_id": event.event_id, "webhook_id": event.id},
            )
    return error is None


async def dead_letters(rt: Runtime) -> list[DeadLetter]:
    """`webhooks failed`: the events given up on, oldest first (blocks/terminal.py words them)."""
    async with rt.db.session() as session:
        dead = await outbox.dead_letters(session=session)
    return [
        DeadLetter(
            id=event.id or 0,
            type=event.type,
            created_at=event.created_at,
            attempts=event.attempts,
            last_error=event.last_error,
        )
        for event in dead
    ]


async def retry_dead_letter(rt: Runtime, webhook_id: int) -> None:
    """`webhooks retry ID`: make a dead letter due now; the next scheduler pass sends it."""
    async with rt.db.transaction() as session:
        revived = await outbox.revive(session=session, id=webhook_id, now=rt.now())
    if not revived:
        raise NoDeadLetter(webhook_id=webhook_id)


async def _post(
    http: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str]
) -> str | None:
    """None when the receiver answered 2xx, else what went wrong."""
    try:
        # No redirects: a signed event goes to WEBHOOK_URL and nowhere else.
        async with http.post(url, data=body, headers=headers, allow_redirects=False) as answer:
            return None if 200 <= answer.status < 300 else f"HTTP {answer.status}"
    except TimeoutError:
        return "timeout"
    except aiohttp.ClientError as exc:
        return f"{type(exc).__name__}: {exc}"


def _headers(rt: Runtime, event_id: str, body: bytes) -> dict[str, str]:
    secret = rt.settings.webhook_secret.get_secret_value() if rt.settings.webhook_secret else None
    if not secret and "unsigned" not in _warned:
        _warned.add("unsigned")
        log.warning("WEBHOOK_SECRET is not set: webhooks are sent unsigned")
    timestamp = str(int(rt.now().timestamp()))
    return request_headers(event_id=event_id, body=body, timestamp=timestamp, secret=secret)


def _log_failure(event: Any, attempts: int, error: str) -> None:
    fields = {"event_id": event.event_id, "type": event.type, "attempts": attempts, "error": error}
    if attempts > LOUD_AFTER:
        log.error("webhook still undelivered: check WEBHOOK_URL and the receiver", extra=fields)
    else:
        log.warning("webhook not delivered; will retry", extra=fields)


def _plain(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as stored and sent: plain JSON, times as ISO-8601 strings."""
    return json.loads(json.dumps(payload, default=_iso))


def _iso(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
