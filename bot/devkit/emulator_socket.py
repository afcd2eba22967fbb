"""The emulator's Socket Mode side: `apps.connections.open` hands out a websocket that
sends envelopes to the app and records its acks (the envelope shapes Slack's Socket Mode sends)."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

from aiohttp import WSMsgType, web


class SocketModeEndpoint:
    """A websocket at `/socket-mode`: `hello` on connect, then envelopes sent on demand."""

    path = "/socket-mode"

    def __init__(self) -> None:
        self.connections: list[web.WebSocketResponse] = []
        self.acks: dict[str, dict[str, Any] | None] = {}
        self.connected = asyncio.Event()
        self._acked: dict[str, asyncio.Event] = {}
        self._ids = itertools.count(1)

    async def serve(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)  # answers the SDK's pings
        await socket.prepare(request)
        self.connections.append(socket)
        await socket.send_json(
            {
                "type": "hello",
                "num_connections": len(self.connections),
                "connection_info": {"app_id": "A0001"},
            }
        )
        self.connected.set()
        try:
            async for message in socket:
                if message.type == WSMsgType.TEXT:
                    self._record_ack(message.data)
        finally:
            self.connections.remove(socket)
            if not self.connections:
                self.connected.clear()
        return socket

    async def send(
        self, kind: str, payload: dict[str, Any], *, accepts_response_payload: bool = False
    ) -> str:
        """Push one envelope (`events_api`, `interactive` or `slash_commands`) to the app."""
        await asyncio.wait_for(self.connected.wait(), timeout=10)
        envelope_id = f"env-{next(self._ids):06d}"
        self._acked[envelope_id] = asyncio.Event()
        await self.connections[-1].send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": accepts_response_payload,
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )
        return envelope_id

    async def ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any] | None:
        """The payload the app acked `envelope_id` with (None for a bare ack)."""
        await asyncio.wait_for(self._acked[envelope_id].wait(), timeout)
        return self.acks[envelope_id]

    async def close(self) -> None:
        for socket in list(self.connections):
            await socket.close()

    def _record_ack(self, data: str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            return
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        if envelope_id in self._acked:
            self.acks[envelope_id] = message.get("payload")
            self._acked[envelope_id].set()
