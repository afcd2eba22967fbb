"""A real SMTP server for the tests: aiosmtpd on a free local port, capturing messages."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

SMTP_USER, SMTP_PASSWORD = "mailer", "s3cret-pass-word"


@dataclass
class Captured:
    """Every message the server accepted, parsed, with its envelope recipients."""

    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # address → the server's reply
    delay: float = 0.0  # seconds the server takes over each message's data
    # addresses whose next message the connection drops with: before it is accepted
    # (nothing delivered), or after (delivered, but the client never hears the 250)
    drop_before: set[str] = field(default_factory=set)
    drop_after: set[str] = field(default_factory=set)

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.delay:
            await asyncio.sleep(self.delay)
        if self._drop(self.drop_before, envelope):
            server.transport.abort()
            return "421 dropped"  # never reaches the client: the connection is gone
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.recipients.append(list(envelope.rcpt_tos))
        if self._drop(self.drop_after, envelope):
            server.transport.abort()
        return "250 OK"

    @staticmethod
    def _drop(addresses: set[str], envelope: Any) -> bool:
        dropped = addresses & set(envelope.rcpt_tos)
        addresses -= dropped
        return bool(dropped)

    def to(self, address: str) -> list[EmailMessage]:
        pairs = zip(self.messages, self.recipients, strict=True)
        return [message for message, rcpt in pairs if address in rcpt]


@dataclass
class SmtpServer:
    host: str
    port: int
    captured: Captured

    def url(self, *, user: str | None = None, password: str | None = None) -> str:
        auth = f"{user}:{password}@" if user else ""
        return f"smtp://{auth}{self.host}:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        return self.captured.messages


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _check_login(server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> Any:
    ok = auth.login == SMTP_USER.encode() and auth.password == SMTP_PASSWORD.encode()
    return AuthResult(success=ok, handled=False)  # the server answers 535 on failure


@contextmanager
def smtp_server(*, require_login: bool = False) -> Iterator[SmtpServer]:
    """aiosmtpd in its own thread; with `require_login`, only SMTP_USER / SMTP_PASSWORD."""
    captured = Captured()
    port = free_port()
    options: dict[str, Any] = {}
    if require_login:
        options = {"authenticator": _check_login, "auth_required": True, "auth_require_tls": False}
    # A login without TLS is fine on loopback (pyproject.toml ignores aiosmtpd's warning).
    controller = Controller(captured, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, captured)
    finally:
        controller.stop()


def text_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def score_links(message: EmailMessage) -> dict[int, str]:
    """Score → link, from the text part's `  7: https://…` lines."""
    return {
        int(score): url
        for score, url in re.findall(r"^ +(\d+): (\S+?)\r?$", text_part(message), re.MULTILINE)
    }


def unsubscribe_link(message: EmailMessage) -> str:
    found = re.search(r"<([^>]+)>", str(message["List-Unsubscribe"]))
    assert found is not None
    return found.group(1)
