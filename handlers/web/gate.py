"""The door of `POST /slack/events`: size, timestamp and signature checked before any parsing.

A request that fails is answered 401 (413 when too large, 408 when its body does not
arrive within `BODY_TIMEOUT`, handlers/web/bodies.py) without its body ever being decoded
or logged; one WARNING a minute says what to check. A signed body that cannot be read as
Slack sends it (not UTF-8, JSON nested past reason, a `payload` that is not JSON) is
answered 400. Only then
does Bolt see the request (bot/app.py), and only then does it count as being acked
(bot/core/acks.py): a client dribbling an unsigned body holds back no one's work.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

from aiohttp import web
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.core.logs import Throttled
from handlers.web.bodies import BodyTooSlow, read_capped, too_slow

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
    try:
        body = await read_capped(request, MAX_BODY)
    except BodyTooSlow:  # the access log has it; no warning: the signing secret is not at fault
        return too_slow(web.Response(status=408, text="request body too slow"))
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
        # Bolt parses the body here, once, and reads the payload's ids: a signed payload of
        # a wrong shape fails now; the parsed document is then checked, not parsed again.
        checked = AsyncBoltRequest(body=text, query=request.query_string, headers=dict(headers))
        _check_shape(checked.body, text, request.content_type)
        return checked
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


def _check_shape(document: object, text: str, content_type: str) -> None:
    """Raise ValueError unless a JSON body, or a form's `payload`, is a Slack payload object.

    `document` is the body as Bolt parsed it: the JSON body, the form's `payload` as JSON,
    or the form's fields (a slash command) which need no check.
    """
    is_json = content_type == "application/json" or text.lstrip().startswith("{")
    if not is_json and not ("payload" in text and document):
        return
    if _depth(document) > MAX_DEPTH:
        raise ValueError("nested too deep")
    if not isinstance(document, dict) or not isinstance(document.get("type"), str):
        raise ValueError("not a Slack payload object")


def _depth(document: object) -> int:
    """How deep objects and arrays nest in a parsed JSON document (stops past MAX_DEPTH)."""
    deepest = 0
    stack: list[tuple[object, int]] = [(document, 1)]
    while stack and deepest <= MAX_DEPTH:
        node, depth = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in node if isinstance(child, dict | list))
    return deepest
