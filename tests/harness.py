"""End-to-end harness: the app served on a free port, a signed-request sender, `python -m bot`."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from bot.app import web_runner
from tests.payloads import interactive_body, signed_headers

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
# The emulator has no rate limit unless a test sets one, so tests send DMs well above
# Slack's pace (`build_runtime(..., sends_per_second=...)`); tests of pacing pass their own.
TEST_SENDS_PER_SECOND = 1000.0
TEST_SEND_BURST = 100
T = TypeVar("T")


@dataclass
class Served:
    url: str
    runner: web.AppRunner

    async def stop(self) -> None:
        await self.runner.cleanup()


async def serve(web_app: web.Application) -> Served:
    """Serve an aiohttp app on 127.0.0.1 and a free port, with the runner `serve` uses."""
    runner = web_runner(web_app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return Served(f"http://{host}:{port}", runner)


class SlackSender:
    """Sends requests to the app the way Slack does: signed, form-encoded."""

    def __init__(self, url: str, secret: str = SIGNING_SECRET) -> None:
        self.url = url.rstrip("/") + "/slack/events"
        self.secret = secret
        self.session = aiohttp.ClientSession()

    async def post(self, body: str, headers: dict[str, str]) -> tuple[int, str]:
        async with self.session.post(self.url, data=body.encode(), headers=headers) as response:
            return response.status, await response.text()

    async def interactive(self, payload: dict[str, Any], **sign: Any) -> tuple[int, str]:
        body = interactive_body(payload)
        return await self.post(body, signed_headers(self.secret, body, **sign))

    async def command(self, fields: dict[str, str], **sign: Any) -> tuple[int, str]:
        """A slash command: its fields form-encoded, signed."""
        body = urlencode(fields)
        return await self.post(body, signed_headers(self.secret, body, **sign))

    async def close(self) -> None:
        await self.session.close()


async def eventually(check: Callable[[], Awaitable[T] | T], *, timeout: float = 5.0) -> T:
    """Poll until `check` returns something truthy (work after the ack is asynchronous)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value  # type: ignore[return-value]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value: {value!r})")
        await asyncio.sleep(0.02)


def json_body(text: str) -> Any:
    return json.loads(text) if text else None


def cli_env(*, api_url: str, database_url: str, home: Path, **extra: str) -> dict[str, str]:
    """The whole environment of a `python -m bot` process in a test (none of the developer's)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api_url,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
        **extra,
    }


async def start_vocbot(
    env: dict[str, str],
    cwd: Path,
    *args: str,
    stdout: int | None = asyncio.subprocess.PIPE,
    stderr: int | None = asyncio.subprocess.PIPE,
) -> asyncio.subprocess.Process:
    """Start `python -m bot ARGS` without blocking the loop the emulator answers on."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=cwd, stdout=stdout, stderr=stderr
    )


async def vocbot(env: dict[str, str], *args: str, cwd: Path) -> tuple[int, str, str]:
    """Run `python -m bot ARGS` to the end: (exit code, stdout, stderr)."""
    process = await start_vocbot(env, cwd, *args)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode or 0, out.decode(), err.decode()
