"""`POST /hooks/zendesk`: a Zendesk trigger's webhook saying a ticket was solved.

The signature (`X-Zendesk-Webhook-Signature`: base64 HMAC-SHA256 over the
`X-Zendesk-Webhook-Signature-Timestamp` and the raw body, keyed with
ZENDESK_WEBHOOK_SECRET) is checked before the body is parsed: a forged request is a 401
and stores nothing. The body names the ticket (`{"ticket_id": "{{ticket.id}}"}`, the
README's trigger); the ticket itself is read from Zendesk's API, so a webhook carries no
personal data and can be replayed harmlessly (a ticket is asked once). The body is never
logged.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from aiohttp import web

from bot.core.runtime import Runtime
from bot.domain.errors import ConfigError, TryLater
from bot.domain.zendesk import SOLVED, signature
from bot.services import zendesk_tickets
from handlers.context import WEB_RUNTIME
from handlers.web.bodies import BodyTooSlow, read_capped, too_slow
from storage.db import outage

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024
RETRY_AFTER = 30  # Zendesk retries a 503 that carries a short Retry-After
SIGNATURE = "X-Zendesk-Webhook-Signature"
TIMESTAMP = "X-Zendesk-Webhook-Signature-Timestamp"
_BODY_HINT = 'send {"ticket_id": "{{ticket.id}}"} (the README\'s Zendesk trigger)'


async def zendesk_endpoint(request: web.Request) -> web.Response:
    """Check the signature, then take the solved ticket the webhook names."""
    rt: Runtime = request.app[WEB_RUNTIME]
    secret = rt.settings.zendesk_webhook_secret
    if secret is None or not rt.settings.zendesk_on:
        return _error(
            503,
            "POST /hooks/zendesk is off until ZENDESK_WEBHOOK_SECRET, ZENDESK_URL, "
            "ZENDESK_EMAIL and ZENDESK_TOKEN are set",
        )
    try:
        body = await read_capped(request, MAX_BODY)
    except BodyTooSlow as exc:
        return too_slow(_error(408, str(exc)))
    if body is None:
        return _error(413, f"the body is larger than {MAX_BODY // 1024} KB")
    given = request.headers.get(SIGNATURE, "")
    timestamp = request.headers.get(TIMESTAMP, "")
    expected = signature(secret.get_secret_value(), timestamp, body)
    if not given or not timestamp or not hmac.compare_digest(given.encode(), expected.encode()):
        log.warning("Zendesk webhook refused: wrong signature")
        return _error(401, f"wrong signature: sign with the webhook's secret ({SIGNATURE})")
    ticket_id, status = _ticket(body)
    if ticket_id is None:
        return _error(400, f"no ticket id in the body: {_BODY_HINT}")
    if status is not None and status not in SOLVED:
        return web.json_response({"ticket_id": ticket_id, "ignored": "not solved"})
    return await _take(rt, ticket_id)


async def _take(rt: Runtime, ticket_id: int) -> web.Response:
    try:
        decision = await zendesk_tickets.take_one(rt, ticket_id, rt.now())
    except ConfigError as exc:  # Zendesk refuses our credentials: an admin must fix them
        log.error("Zendesk webhook not taken: %s", exc)
        return _error(503, str(exc))
    except TryLater as exc:  # Slack or Zendesk unreachable: nothing stored, send again
        return _try_later(str(exc))
    except Exception as exc:
        failure = outage(exc)
        if failure is None:
            raise
        log.error("Zendesk webhook not taken: database unavailable", extra={"error": failure})
        return _try_later("the database is unavailable: nothing was stored")
    if decision is None:
        return web.json_response({"ticket_id": ticket_id, "seen_before": True})
    return web.json_response({"ticket_id": ticket_id, "decision": decision}, status=202)


def _ticket(body: bytes) -> tuple[int | None, str | None]:
    """The ticket id (and status, when sent) the body names."""
    try:
        document = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(document, dict):
        return None, None
    nested = document.get("ticket")
    source: dict[str, Any] = nested if isinstance(nested, dict) else document
    raw_id = source.get("ticket_id", source.get("id"))
    if isinstance(raw_id, bool) or not isinstance(raw_id, int | str):
        return None, None
    text = str(raw_id).strip()
    if not text.isdigit() or len(text) > 18:
        return None, None
    status = source.get("status")
    return int(text), status.lower() if isinstance(status, str) else None


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _try_later(message: str) -> web.Response:
    response = _error(503, message)
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response
