"""Reading a request's body, for the endpoints that read their own (Slack's gate, the
events, Jira and Zendesk hooks): capped in size and in time, so a client that sends too
much, or trickles its body, holds neither memory nor a connection for long."""

from __future__ import annotations

import asyncio

from aiohttp import web

BODY_TIMEOUT = 10.0  # seconds to receive a whole body; senders post their few kB at once
CHUNK = 64 * 1024


class BodyTooSlow(Exception):
    """The body did not arrive within BODY_TIMEOUT; its text says so to the sender."""


async def read_capped(request: web.Request, limit: int) -> bytes | None:
    """The whole body, or None as soon as it is known to be larger than `limit` bytes.

    Raises:
        BodyTooSlow: the body was still arriving after BODY_TIMEOUT seconds.
    """
    if request.content_length is not None and request.content_length > limit:
        return None
    body = bytearray()
    try:
        async with asyncio.timeout(BODY_TIMEOUT):
            async for chunk in request.content.iter_chunked(CHUNK):
                body += chunk
                if len(body) > limit:
                    return None
    except TimeoutError:
        raise BodyTooSlow(f"send the whole body within {BODY_TIMEOUT:g} seconds") from None
    return bytes(body)


def too_slow(response: web.Response) -> web.Response:
    """`response` (a 408) closing the connection: the rest of the body must not be read as
    a next request."""
    response.force_close()
    return response
