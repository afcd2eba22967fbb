"""The door of `POST /slack/events`: size, timestamp and signature checked before any parsing.

A request that fails is answered 401 (413 when too large) without its body ever being
decoded or logged; one WARNING a minute says what to check. A signed body that cannot be
read as Slack sends it (not UTF-8, JSON nested past reason, a `payload` that is not JSON)
is answered 400. Only then does Bolt see the request (bot/app.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from urllib.parse import parse_qs

from aiohttp import web
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.core.logs import Throttled

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # Slack's payloads are far smaller; a view submission is < 100 kB
MAX_DEPTH = 64  # JSON nesting Slack never comes near; deeper is junk, not a payload
STALE_AFTER = 300  # seconds: Slack's own limit on a request's timestamp
WARN_EVERY = 60.0  # seconds between two warnings about rejected requests


def rejection_log() -> Throttled:
    """Says at most once a minute that requests were refused, and what to check."""
    return Throttled(
        log,
        "refused unsigned Slack requests: check SLACK_SIGNING_SECRET matches the app's "
        "Signing Secret (Basic Information page)",
        every=WARN_EVERY,
    )


async def signed_bolt_request(
    request: web.Request, verifier: SignatureVerifier, rejections: Throttled
) -> AsyncBoltRequest | web.Response:
    """The request for Bolt when it is Slack's and readable; otherwise the answer to give."""
    if (request.content_length or 0) > MAX_BODY:
        rejections.happened(reason="too large")
        return web.Response(status=413, text="too large")
    body = await _read_capped(request)
    if body is None:
        rejections.happened(reason="too large")
        return web.Response(status=413, text="too large")
    headers = request.headers
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not _signed(verifier, body, timestamp, signature):
        rejections.happened(reason="bad signature or stale timestamp")
        return web.json_response({"error": "invalid request"}, status=401)
    try:
        text = body.decode("utf-8")
        _check_shape(text, request.content_type)
        # Bolt reads the payload's ids here: a signed payload of a wrong shape fails now
        return AsyncBoltRequest(body=text, query=request.query_string, headers=dict(headers))
    except Exception as exc:  # any way a body can be unreadable: the sender's fault, not ours
        log.info("refused a signed request that is not a Slack payload", extra=_why(exc))
        return web.Response(status=400, text="not a Slack payload")


def _why(exc: Exception) -> dict[str, object]:
    return {"error": type(exc).__name__}


def _signed(verifier: SignatureVerifier, body: bytes, timestamp: str, signature: str) -> bool:
    """Slack's `v0` signature over the raw body, within five minutes of its timestamp."""
    if not timestamp.isdigit() or not signature:
        return False
    try:
        return verifier.is_valid(body=body, timestamp=timestamp, signature=signature)
    except UnicodeDecodeError:  # the SDK signs text; a body that is not UTF-8 is signed as bytes
        if abs(time.time() - int(timestamp)) > STALE_AFTER:
            return False
        base = b"v0:" + timestamp.encode() + b":" + body
        secret = verifier.signing_secret.encode()
        expected = "v0=" + hmac.new(secret, base, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, signature)


async def _read_capped(request: web.Request) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _check_shape(text: str, content_type: str) -> None:
    """Raise ValueError unless the body is JSON or a form whose `payload` is a JSON object."""
    if content_type == "application/json" or text.lstrip().startswith("{"):
        _json_object(text)
        return
    fields = parse_qs(text, keep_blank_values=True)
    for payload in fields.get("payload", []):
        _json_object(payload)


def _json_object(text: str) -> None:
    """Every JSON body Slack sends (an event, an interaction) is an object with a `type`."""
    if _depth(text) > MAX_DEPTH:
        raise ValueError("nested too deep")
    document = json.loads(text)
    if not isinstance(document, dict) or not isinstance(document.get("type"), str):
        raise ValueError("not a Slack payload object")


def _depth(text: str) -> int:
    """How deep brackets nest, counted without parsing (strings are skipped)."""
    deepest = depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest
