"""`POST /hooks/events`: other systems (helpdesk, LMS, CRM) report events that trigger surveys.

Every refusal is a JSON `{"error": ...}` saying what to send instead, and stores nothing.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from bot.core.runtime import Runtime
from bot.domain.errors import SlackConfigError, TryLater, UnknownContact, UserError
from bot.domain.names import InvalidEmail, parse_email
from bot.domain.usage import COLUMNS as USAGE_COLUMNS
from bot.domain.usage import UsageFault, parse_usage
from bot.services import transactional, usage
from handlers.context import WEB_RUNTIME
from handlers.web.bodies import BodyTooSlow, read_capped, too_slow
from storage.db import outage

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024
MAX_CONTEXT_KEYS = 20
MAX_EVENT_ID = 200
MAX_ACCOUNT = 200
FUTURE_TOLERANCE = timedelta(hours=1)  # senders' clocks drift; an hour ahead is still "now"
FIELDS = ("event", "email", "occurred_at", "context", "event_id", "account")
EXAMPLE_TIME = "2026-11-24T09:30:00Z"
USAGE = "usage"  # an account's usage figure (bot/services/usage.py), not a contact's event
HINTS = {
    "event": "send one of " + ", ".join((*transactional.EVENTS, USAGE)),
    "email": "send the contact's email address, e.g. ana@example.com",
    "occurred_at": f"send an ISO-8601 time with a zone, e.g. {EXAMPLE_TIME}",
    "context": (
        f"send an object of at most {MAX_CONTEXT_KEYS} keys whose values are strings, "
        "numbers or booleans"
    ),
    "event_id": f"send a string of 1 to {MAX_EVENT_ID} characters, e.g. ticket-4821-closed",
    "account": (
        "send the account's CRM id or its name as imported, e.g. Acme, and no email "
        f"(only for {' and '.join(transactional.ACCOUNT_EVENTS)})"
    ),
}
_BODY_HINT = (
    "send an object with event, email, occurred_at (with a zone) and optionally context "
    "and event_id (customer_since and churned may send account instead of email)"
)
_USAGE = "send Authorization: Bearer <INGEST_TOKEN>"
RETRY_AFTER = 60  # seconds a sender waits after a 503 for a transient failure
UNAVAILABLE = "the database is unavailable: nothing was stored; send the event again in a minute"


class BadField(UserError):
    """A request body the endpoint cannot take; `field` names the first bad field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class EventIn(BaseModel):
    """The body of `POST /hooks/events`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event: str
    email: str | None = None  # required unless `account` names the account (ACCOUNT_EVENTS)
    occurred_at: datetime
    context: dict[str, Any] | None = None
    event_id: str | None = None
    account: str | None = None

    @field_validator("event", mode="before")
    @classmethod
    def _known_event(cls, value: Any) -> str:
        if value not in transactional.EVENTS:
            raise ValueError(f"event {_shown(value)} is not known: {HINTS['event']}")
        return str(value)

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"email {_shown(value)} is not an email address: {HINTS['email']}")
        try:
            return parse_email(value)
        except InvalidEmail as exc:
            raise ValueError(
                f"email {_shown(value)} is not an email address ({exc}): {HINTS['email']}"
            ) from None

    @field_validator("occurred_at", mode="before")
    @classmethod
    def _aware_time(cls, value: Any) -> datetime:
        try:
            moment = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            moment = None
        if moment is None:
            raise ValueError(f"occurred_at {_shown(value)} is not a time: {HINTS['occurred_at']}")
        if moment.tzinfo is None:
            raise ValueError(
                f"occurred_at {_shown(value)} has no time zone: add one such as Z or +08:00, "
                f"e.g. {EXAMPLE_TIME}"
            )
        return moment.astimezone(UTC)

    @field_validator("context", mode="before")
    @classmethod
    def _flat_context(cls, value: Any) -> dict[str, Any] | None:
        if value is None:
            return None
        if not isinstance(value, dict) or len(value) > MAX_CONTEXT_KEYS:
            raise ValueError(f"context is not valid: {HINTS['context']}")
        if "event" in value:
            raise ValueError("context may not have a key named event (the event is stored there)")
        for key, item in value.items():
            if not _flat_value(item):
                raise ValueError(f"context.{key} is {_shown(item)}: {HINTS['context']}")
        return value

    @field_validator("account", mode="before")
    @classmethod
    def _account(cls, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not 0 < len(value.strip()) <= MAX_ACCOUNT:
            raise ValueError(f"account {_shown(value)} is not valid: {HINTS['account']}")
        return value.strip()

    @field_validator("event_id", mode="before")
    @classmethod
    def _event_id(cls, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not 0 < len(value) <= MAX_EVENT_ID:
            raise ValueError(f"event_id is not valid: {HINTS['event_id']}")
        return value


def parse_event(body: bytes, *, now: datetime) -> EventIn:
    """The validated event, or BadField naming the first field that is wrong."""
    try:
        document = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except (ValueError, RecursionError):  # also bad UTF-8, and JSON nested past Python's limit
        raise BadField("body", f"the body is not JSON: {_BODY_HINT}") from None
    if not isinstance(document, dict):
        raise BadField("body", f"the body is not a JSON object: {_BODY_HINT}")
    try:
        payload = EventIn.model_validate(document)
    except ValidationError as exc:
        raise _first_bad_field(exc) from None
    _check_who(payload)
    if payload.occurred_at > now + FUTURE_TOLERANCE:
        raise BadField(
            "occurred_at",
            f"occurred_at {payload.occurred_at.isoformat()} is in the future: "
            "send the time the event happened",
        )
    return payload


def _check_who(payload: EventIn) -> None:
    """Exactly one of email and account; account only for the events that take one."""
    if payload.account is None:
        if payload.email is None:
            raise BadField("email", f"email is missing: {HINTS['email']}")
        return
    if payload.event not in transactional.ACCOUNT_EVENTS:
        raise BadField(
            "account",
            f"{payload.event} is about one contact: send its email instead of account",
        )
    if payload.email is not None:
        raise BadField("account", "send email or account, not both")


async def events_endpoint(request: web.Request) -> web.Response:
    """Check the token and the body, then schedule the event's surveys."""
    rt = _runtime(request)
    token = rt.settings.ingest_token
    refusal = _refusal(request, token.get_secret_value() if token else None)
    if refusal is not None:
        return refusal
    try:
        body = await read_capped(request, MAX_BODY)
    except BodyTooSlow as exc:
        return too_slow(_error(408, str(exc)))
    if body is None:
        return _error(413, f"the body is larger than {MAX_BODY // 1024} KB: send a smaller context")
    usage = usage_document(body)
    if usage is not None:  # usage and support volume (bot/services/usage.py)
        return await _record_usage(rt, usage)
    try:
        payload = parse_event(body, now=rt.now())
    except BadField as exc:
        return _error(400, str(exc), field=exc.field)
    return await _schedule(rt, payload)


async def _schedule(rt: Runtime, payload: EventIn) -> web.Response:
    try:
        if payload.account is not None:
            answer = await transactional.schedule_for_account(
                rt,
                event=payload.event,
                account=payload.account,
                occurred_at=payload.occurred_at,
                context=payload.context,
                event_id=payload.event_id,
                now=rt.now(),
            )
        else:
            answer = await transactional.schedule_for_event(
                rt,
                event=payload.event,
                email=payload.email or "",
                occurred_at=payload.occurred_at,
                context=payload.context,
                event_id=payload.event_id,
                now=rt.now(),
            )
    except UnknownContact as exc:
        return _error(404, str(exc))
    except TryLater as exc:  # Slack was unreachable: nothing stored
        return _try_later(str(exc))
    except SlackConfigError as exc:  # Slack refused the app: an admin must fix it first
        return _error(503, str(exc))
    except Exception as exc:
        failure = outage(exc)
        if failure is None:
            raise
        # one line, no traceback: the sender retries, and an outage is not a bug
        log.error("event not stored: database unavailable", extra={"error": failure})
        return _try_later(UNAVAILABLE)
    return web.json_response(answer.body, status=200 if answer.replayed else 202)


def usage_document(body: bytes) -> dict[str, Any] | None:
    """The body when it is a `usage` event, else None (the other events' checks apply)."""
    try:
        document = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) and document.get("event") == USAGE else None


async def _record_usage(rt: Runtime, document: dict[str, Any]) -> web.Response:
    unknown = sorted(set(document) - {"event", *USAGE_COLUMNS})
    if unknown:
        return _error(400, f"{unknown[0]} is not a field of a usage event", field=unknown[0])
    now = rt.now()
    try:
        line = parse_usage(document, now=now)
    except UsageFault as fault:
        return _error(400, str(fault), field=fault.field)
    try:
        report = await usage.record_usage(rt, [(1, line)], now)
    except Exception as exc:
        failure = outage(exc)
        if failure is None:
            raise
        log.error("usage not stored: database unavailable", extra={"error": failure})
        return _try_later(UNAVAILABLE)
    if report.errors:
        return _error(404, report.errors[0].message, field="account")
    return web.json_response({"stored": report.stored}, status=202)


def _refusal(request: web.Request, token: str | None) -> web.Response | None:
    """503 while INGEST_TOKEN is unset; 401 for a missing or wrong bearer token."""
    if not token:
        return _error(
            503, "POST /hooks/events is off until INGEST_TOKEN is set (in the environment or .env)"
        )
    header = request.headers.get("Authorization", "")
    if not header:
        return _unauthorized(f"missing Authorization header: {_USAGE}")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), token.encode()
    ):
        return _unauthorized(f"wrong token: {_USAGE}")
    return None


def _first_bad_field(exc: ValidationError) -> BadField:
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else "body"
    if error["type"] == "missing":
        return BadField(field, f"{field} is missing: {HINTS[field]}")
    if error["type"] == "extra_forbidden":
        return BadField(field, f"{field} is not a field: send only {', '.join(FIELDS)}")
    return BadField(field, str(error["msg"]).removeprefix("Value error, "))


def _runtime(request: web.Request) -> Runtime:
    return request.app[WEB_RUNTIME]


def _error(status: int, message: str, **extra: str) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


def _try_later(message: str) -> web.Response:
    response = _error(503, message)
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def _unauthorized(message: str) -> web.Response:
    response = _error(401, message)
    response.headers["WWW-Authenticate"] = "Bearer"
    return response


def _flat_value(item: Any) -> bool:
    if isinstance(item, float):
        return math.isfinite(item)
    return isinstance(item, str | int | bool)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _shown(value: Any) -> str:
    """The value as it was sent (it came from JSON), cut short."""
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."
