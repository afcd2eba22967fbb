"""Hostile and malformed HTTP at `POST /slack/events`: 401, 400 or 413; no 5xx, no body logged."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import time
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web

from bot.core.logs import FieldsFormatter, Throttled
from tests.harness import SIGNING_SECRET, SlackSender, serve
from tests.payloads import signed_headers, signed_json_headers

JUNK_BODIES: list[bytes] = [
    b"{oops",
    b"payload=not-json",
    b"payload=%7Boops",
    "\xff\xfe caf\u00e9".encode("latin-1"),
    b"[" * 5000 + b"]" * 5000,
    b'{"a":' * 3000 + b"1" + b"}" * 3000,
    b"payload=" + (b"%5B" * 3000) + (b"%5D" * 3000),
    b"payload=%5B1%2C2%5D",  # a JSON array, not an object
    b"",
    b"\n\nINFO forged record",
]


async def _post_bytes(slack: SlackSender, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    async with slack.session.post(slack.url, data=io.BytesIO(body), headers=headers) as response:
        return response.status, await response.text()


def _sign_bytes(body: bytes, *, content_type: str) -> dict[str, str]:
    stamp = str(int(time.time()))
    base = f"v0:{stamp}:".encode() + body
    digest = hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": content_type,
    }


@pytest.mark.parametrize("body", JUNK_BODIES)
async def test_unsigned_junk_is_refused_before_parsing_and_not_logged(
    slack: SlackSender, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    status, _ = await _post_bytes(slack, body, {"Content-Type": "application/json"})
    assert status == 401
    logged = "\n".join(r.getMessage() + repr(vars(r)) for r in caplog.records)
    if body.strip():
        assert body[:40].decode("latin-1") not in logged
    assert "Traceback" not in caplog.text


async def test_a_wrong_secret_or_stale_timestamp_is_401(slack: SlackSender) -> None:
    body = json.dumps({"type": "event_callback", "event": {"type": "app_home_opened"}})
    assert (await slack.post(body, signed_json_headers("wrong-secret", body)))[0] == 401
    stale = signed_headers(
        SIGNING_SECRET, body, timestamp=int(time.time()) - 3600, content_type="application/json"
    )
    assert (await slack.post(body, stale))[0] == 401


async def test_refusals_warn_once_naming_the_signing_secret(
    slack: SlackSender, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    for _ in range(5):
        await _post_bytes(slack, b"x" * 200_000, {"Content-Type": "application/json"})
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "SLACK_SIGNING_SECRET" in warnings[0].getMessage()
    assert sum(len(r.getMessage()) for r in caplog.records) < 5000  # no body in the log


async def test_a_body_over_the_cap_is_413(slack: SlackSender) -> None:
    body = b"payload=" + b"a" * (1024 * 1024 + 10)
    status, _ = await _post_bytes(
        slack, body, _sign_bytes(body, content_type="application/x-www-form-urlencoded")
    )
    assert status == 413


SIGNED_MALFORMED: list[tuple[bytes, str]] = [
    (b"{oops", "application/json"),
    (b"payload=not-json", "application/x-www-form-urlencoded"),
    ("\xff\xfe caf\u00e9".encode("latin-1"), "application/x-www-form-urlencoded"),
    (b'{"a":' * 3000 + b"1" + b"}" * 3000, "application/json"),
    (b"payload=" + b"%5B" * 3000 + b"%5D" * 3000, "application/x-www-form-urlencoded"),
    (b"payload=%5B1%2C2%5D", "application/x-www-form-urlencoded"),
    (b"[1, 2]", "application/json"),
    (b'"just a string"', "application/json"),
]


@pytest.mark.parametrize(("body", "content_type"), SIGNED_MALFORMED)
async def test_signed_but_malformed_payloads_are_400_never_5xx(
    slack: SlackSender, body: bytes, content_type: str
) -> None:
    status, _ = await _post_bytes(slack, body, _sign_bytes(body, content_type=content_type))
    assert status == 400


_USER = {"id": "U1"}


def _action(action_id: str, value: str) -> dict[str, object]:
    return {
        "type": "block_actions",
        "user": _USER,
        "actions": [{"action_id": action_id, "value": value}],
    }


async def test_a_signed_payload_without_a_type_is_400(slack: SlackSender) -> None:
    assert (await slack.interactive({"actions": []}))[0] == 400
    body = json.dumps({"event": {"type": "app_home_opened"}})
    assert (await slack.post(body, signed_json_headers(SIGNING_SECRET, body)))[0] == 400


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "block_actions"},
        {"type": "view_submission"},
        {"type": "block_actions", "actions": "nope", "user": 3},
        {"type": "nonsense"},
        {},
        {"type": "block_actions", "actions": [{"action_id": "survey.rate.5"}]},
        _action("survey.rate.5", "x"),
        _action("case.claim", "zz"),
        {
            "type": "view_submission",
            "user": {"id": "U1"},
            "view": {"callback_id": "case.follow_up"},
        },
        {"type": "view_submission", "user": _USER, "view": {"callback_id": "voc.log", "state": {}}},
        {"type": "block_suggestion", "user": {"id": "U1"}, "action_id": "voc.account"},
        {"type": "shortcut", "callback_id": "x"},
    ],
)
async def test_signed_payloads_of_a_wrong_shape_get_no_5xx(
    slack: SlackSender, payload: dict[str, object], caplog: pytest.LogCaptureFixture
) -> None:
    status, _ = await slack.interactive(payload)
    assert status < 500
    # and answered at once: Bolt logs this only after waiting its 3 s for an ack that never came
    assert not [r for r in caplog.records if "call ack()" in r.getMessage()]


async def test_a_signed_command_with_junk_fields_gets_no_5xx(slack: SlackSender) -> None:
    status, _ = await slack.command({"command": "/voc", "text": "\x00\x01"})
    assert status < 500
    body = urlencode({"command": "/voc"})
    assert (await slack.post(body, signed_headers(SIGNING_SECRET, body)))[0] < 500


def test_log_values_never_carry_raw_newlines() -> None:
    formatter = FieldsFormatter("%(levelname)s %(name)s: %(message)s")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "got %s", ("a\nINFO forged",), None)
    record.note = "b\r\nWARNING forged"
    line = formatter.format(record)
    assert "\n" not in line and "\r" not in line
    assert "a\\nINFO forged" in line and "b\\r\\nWARNING forged" in line


async def test_the_access_log_carries_no_header_query_or_link_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def page(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    web_app = web.Application()
    web_app.router.add_get("/s/{token}", page)
    web_app.router.add_get("/s/{token}/unsubscribe", page)
    served = await serve(web_app)
    try:
        async with aiohttp.ClientSession(headers={"User-Agent": "agent-007"}) as http:
            for path in ("/s/TOKEN4242?t=QUERY99", "/s/TOKEN4242/unsubscribe", "/s/page.css"):
                with caplog.at_level(logging.INFO, logger="aiohttp.access"):
                    async with http.get(served.url + path, headers={"Referer": "ref-55"}):
                        pass
    finally:
        await served.stop()
    lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert len(lines) == 3
    for secret in ("TOKEN4242", "QUERY99", "agent-007", "ref-55"):
        assert not any(secret in line for line in lines), secret
    assert '"GET /s/…" 200' in lines[0] and '"GET /s/…/unsubscribe" 200' in lines[1]
    assert '"GET /s/page.css" 200' in lines[2]  # the stylesheet's path is no token


def test_a_throttled_warning_is_said_once_a_minute_with_the_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    throttled = Throttled(logging.getLogger("t"), "Slack answers 5xx", clock=lambda: now[0])
    for second in range(0, 130, 10):  # 13 server errors over two minutes
        now[0] = float(second)
        throttled.happened(status=503)
    said = [r for r in caplog.records if r.getMessage() == "Slack answers 5xx"]
    assert [r.levelno for r in said] == [logging.WARNING] * 3
    assert [r.times for r in said] == [1, 6, 6]  # type: ignore[attr-defined]
