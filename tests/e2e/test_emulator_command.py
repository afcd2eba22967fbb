"""`python -m bot emulator`: a local Slack the other commands can be pointed at."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

from slack_sdk.web.async_client import AsyncWebClient

from tests.harness import start_vocbot


async def test_the_emulator_command_serves_slack_until_stopped(tmp_path: Path) -> None:
    bare = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
    process = await start_vocbot(bare, tmp_path, "emulator", "--port", "0")
    try:
        assert process.stdout is not None
        first = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        assert first.startswith("Slack emulator listening: SLACK_API_URL=http://127.0.0.1:")
        api_url = first.strip().split("=", 1)[1]
        client = AsyncWebClient(token="xoxb-local", base_url=api_url)
        found = await client.users_lookupByEmail(email="ana@example.com")
        posted = await client.chat_postMessage(channel=found["user"]["id"], text="hello")
        assert posted["ok"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 20) == 0
