"""A tiny local SMTP server for the demo: accepts every message and keeps it in memory.

It speaks just enough SMTP (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) for the app's
own client; the tests use a full server (aiosmtpd) instead.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
from email.message import EmailMessage


class Mailbox:
    """`async with Mailbox() as box:` then `box.url` for SMTP_URL and `box.messages`."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []
        self._server: asyncio.Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def __aenter__(self) -> Mailbox:
        self._server = await asyncio.start_server(self._session, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def reply(line: str) -> None:
            writer.write(line.encode() + b"\r\n")
            await writer.drain()

        await reply("220 demo mailbox")
        try:
            while line := await reader.readline():
                verb = line.decode(errors="replace").strip().split(" ")[0].upper()
                if verb in ("EHLO", "HELO"):
                    await reply("250-demo mailbox\r\n250 8BITMIME")
                elif verb == "DATA":
                    await reply("354 end with <CRLF>.<CRLF>")
                    self._keep(await reader.readuntil(b"\r\n.\r\n"))
                    await reply("250 kept")
                elif verb == "QUIT":
                    await reply("221 bye")
                    break
                else:  # MAIL, RCPT, RSET, NOOP
                    await reply("250 ok")
        finally:
            writer.close()

    def _keep(self, data: bytes) -> None:
        body = data[: -len(b"\r\n.\r\n")].replace(b"\r\n..", b"\r\n.") + b"\r\n"
        self.raw.append(body)
        parsed = email.message_from_bytes(body, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
