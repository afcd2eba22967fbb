"""A hostile client dribbling a body: not counted as being acked, and cut off with 408."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest
from pydantic import SecretStr

from bot.core.runtime import Runtime
from handlers.web import bodies

DRIBBLE_EVERY = 0.05  # seconds between two bytes: far slower than any real client


async def dribble(
    url: str,
    stop: asyncio.Event,
    path: str = "/slack/events",
    headers: str = "",
    size: int = 100_000,
) -> bytes:
    """POST an unsigned body of `size` bytes one byte at a time; what the server answered.

    `headers`: more header lines, each ending in CRLF."""
    where = urlsplit(url)
    reader, writer = await asyncio.open_connection(where.hostname, where.port)
    head = (
        f"POST {path} HTTP/1.1\r\n"
        f"Host: {where.hostname}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {size}\r\n" + headers + "\r\n"
    )
    writer.write(head.encode())
    await writer.drain()
    answer = asyncio.create_task(reader.read(4096))
    try:
        while not answer.done() and not stop.is_set():
            try:
                writer.write(b"a")
                await writer.drain()
            except ConnectionError:
                break
            await asyncio.wait([answer], timeout=DRIBBLE_EVERY)
        return await asyncio.wait_for(answer, 5)
    finally:
        writer.close()


async def test_a_dribbled_body_is_never_being_acked_and_ends_in_408(
    rt: Runtime, app_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bodies, "BODY_TIMEOUT", 1.0)
    stop = asyncio.Event()
    slow = asyncio.create_task(dribble(app_url, stop))
    try:
        await asyncio.sleep(DRIBBLE_EVERY * 6)  # the body is being read, a byte at a time
        assert not slow.done()
        assert rt.acks.acking_now == 0  # not yet verified: it holds back no one's DM update
        waiting = asyncio.create_task(rt.acks.quiet())
        await asyncio.sleep(0)
        assert waiting.done()
        answer = await asyncio.wait_for(slow, 10)
    finally:
        stop.set()
        await asyncio.gather(slow, return_exceptions=True)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:60]
    assert rt.acks.acking_now == 0


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/hooks/events", "Authorization: Bearer ingest-secret\r\n"),  # past the token check
        ("/hooks/jira", ""),  # Jira signs the body: it must be read before it can be checked
        ("/hooks/zendesk", ""),
    ],
)
async def test_a_dribbled_webhook_body_ends_in_408(
    rt: Runtime, app_url: str, monkeypatch: pytest.MonkeyPatch, path: str, headers: str
) -> None:
    """Fails before: the webhooks read their bodies with no time limit, holding the
    connection as long as the sender kept dribbling."""
    monkeypatch.setattr(bodies, "BODY_TIMEOUT", 0.5)
    rt.settings.ingest_token = SecretStr("ingest-secret")
    rt.settings.jira_webhook_secret = SecretStr("jira-secret")
    rt.settings.zendesk_webhook_secret = SecretStr("zendesk-secret")
    rt.settings.zendesk_url, rt.settings.zendesk_email = "https://acme.zendesk.test", "a@acme.test"
    rt.settings.zendesk_token = SecretStr("zendesk-token")
    stop = asyncio.Event()
    try:
        answer = await asyncio.wait_for(dribble(app_url, stop, path, headers, size=2000), 10)
    finally:
        stop.set()
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"send the whole body within 0.5 seconds" in answer
