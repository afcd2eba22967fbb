"""`POST /hooks/jira`: Jira's admin webhook, signed with its secret (JIRA_WEBHOOK_SECRET).

Jira signs the raw body: `X-Hub-Signature: sha256=<HMAC-SHA256 hex>`. The signature is
checked before anything parses the body; a wrong or missing one (or no secret set) is a
401 and nothing is stored. The body is never logged: it carries the issue's text.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

from aiohttp import web

from bot.core.runtime import Runtime
from bot.domain.errors import TryLater
from bot.services import jira_status
from handlers.context import WEB_RUNTIME
from handlers.web.bodies import BodyTooSlow, read_capped, too_slow
from storage.db import outage

log = logging.getLogger(__name__)
MAX_BODY = 1024**2  # an issue with a long description and many fields stays well under this
HEADER = "X-Hub-Signature"


async def jira_endpoint(request: web.Request) -> web.Response:
    rt: Runtime = request.app[WEB_RUNTIME]
    secret = rt.settings.jira_webhook_secret
    try:
        body = await read_capped(request, MAX_BODY)
    except BodyTooSlow as exc:
        return too_slow(_answer(408, str(exc)))
    if body is None:
        return _answer(413, "the body is too large")
    if secret is None or not signed(secret.get_secret_value(), body, request.headers.get(HEADER)):
        log.info("Jira webhook refused: bad signature")
        return _answer(401, f"sign the body with the webhook's secret ({HEADER}: sha256=...)")
    try:
        event = json.loads(body)
    except ValueError:
        return _answer(400, "the body is not JSON")
    if not isinstance(event, dict):
        return _answer(400, "the body is not a JSON object")
    try:
        await jira_status.webhook(rt, event, rt.now())
    except (TryLater, OSError) as exc:
        return _answer(503, "try again later", error=type(exc).__name__)
    except Exception as exc:
        if outage(exc) is None:
            raise
        return _answer(503, "the database is unavailable; try again later")
    return _answer(200, "ok")


def signed(secret: str, body: bytes, header: str | None) -> bool:
    """Whether `header` is `sha256=` and the HMAC-SHA256 hex of `body` under `secret`."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


def _answer(status: int, message: str, **extra: str) -> web.Response:
    key = "ok" if status == 200 else "error"
    return web.json_response({key: message, **extra}, status=status)
