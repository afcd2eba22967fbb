"""`python -m bot sandbox` and the page's API: what each person of the sample sees and does.

The browser run is tests/e2e/test_sandbox_browser.py; these drive the same JSON API the page
uses, and the emulator's response_url replies, without a browser.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from blocks.ids import ActionId
from bot.devkit.sandbox import Sandbox
from bot.devkit.sandbox_emulator import Origin, SandboxEmulator, SandboxError
from tests.harness import start_vocbot


async def _post(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.post(url, json=body) as response:
        return response.status, await response.json()


async def test_response_url_replies_show_where_slack_shows_them() -> None:
    async with SandboxEmulator() as emulator:
        emulator.add_user("U1", name="Ana")
        emulator.add_channel("CVOC", ["U1"])
        card = await _web_post(emulator, "CVOC", "a card")
        replace = emulator.response_url_for(Origin("U1", "CVOC", message_ts=card))
        ephemeral = emulator.response_url_for(Origin("U1", "CVOC"))
        public = emulator.response_url_for(Origin("U1", "CVOC"))
        async with aiohttp.ClientSession() as http:
            for url, body in (
                (replace, {"replace_original": True, "text": "the card, claimed"}),
                (ephemeral, {"text": "only for Ana"}),
                (public, {"response_type": "in_channel", "text": "for everyone"}),
            ):
                async with http.post(url, json=body) as response:
                    assert response.status == 200
        texts = [m["text"] for m in emulator.stored("CVOC")]
        assert texts == ["the card, claimed", "for everyone"]
        [only] = emulator.ephemerals
        assert (only.user, only.channel, only.text) == ("U1", "CVOC", "only for Ana")
        gone = emulator.response_url_for(Origin("U1", "CVOC", ephemeral_id=only.id))
        async with aiohttp.ClientSession() as http:
            async with http.post(gone, json={"delete_original": True}) as response:
                assert response.status == 200
        assert emulator.ephemerals == []


async def _web_post(emulator: SandboxEmulator, channel: str, text: str) -> str:
    url = emulator.api_url + "chat.postMessage"
    headers = {"Authorization": "Bearer xoxb-test"}
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json={"channel": channel, "text": text}, headers=headers) as r:
            return str((await r.json())["ts"])


@pytest.mark.slow
async def test_a_customer_of_another_organisation_answers_in_the_shared_channel(
    tmp_path: Path,
) -> None:
    async with Sandbox(tmp_path) as sandbox:
        base = sandbox.url + "sandbox/"
        async with aiohttp.ClientSession() as http:
            async with http.get(base + "state", params={"as": "U9KIN02"}) as response:
                marcus = await response.json()
            async with http.get(base + "state", params={"as": "U101"}) as response:
                olivia = await response.json()
        assert [c["name"] for c in marcus["conversations"]] == ["#kinabalu-freight"]
        assert [c["kind"] for c in olivia["conversations"]] == ["dm"]  # not in #voc
        [survey] = marcus["messages"]["C0KINABALU"]
        status, answer = await _post(
            base + "act",
            {
                "as": "U9KIN02",
                "type": "button",
                "action_id": f"{ActionId.SHARED_RATE_PREFIX}4",
                "block_id": _block_of(survey, f"{ActionId.SHARED_RATE_PREFIX}4"),
                "value": "4",
                "channel": "C0KINABALU",
                "ts": survey["ts"],
            },
        )
        assert (status, answer) == (200, {})
        mine = sandbox.state("U9KIN02")["messages"]["C0KINABALU"]
        assert [m for m in mine if m.get("ephemeral")]  # "only visible to you"
        siti = sandbox.state("UCSM1")["messages"]["C0KINABALU"]
        assert not [m for m in siti if m.get("ephemeral")]
        status, answer = await _post(
            base + "command", {"as": "UCSM1", "channel": "CVOC", "text": "/feedback hi"}
        )
        assert status == 400 and "not a command of this app" in answer["error"]
        status, answer = await _post(base + "digest", {"as": "UCSM1"})
        assert status == 400 and "only an admin" in answer["error"]
        with pytest.raises(SandboxError):
            await sandbox.move_clock("a week")
        assert sandbox.emulator.messages("CDIGEST") == []
        moved = await sandbox.move_clock("monday")
        assert moved == {"clock": "Mon 30 Nov 2026, 09:00 UTC"}
        [digest] = [m for m in sandbox.emulator.messages("CDIGEST") if m["metadata"]]
        assert "digest" in digest["text"].lower()  # the scheduler posted it on Monday


def _block_of(message: dict[str, Any], action_id: str) -> str:
    for block in message["blocks"]:
        for element in [*(block.get("elements") or []), block.get("accessory") or {}]:
            if element.get("action_id") == action_id:
                return str(block.get("block_id", ""))
    raise LookupError(action_id)


@pytest.mark.slow
async def test_the_sandbox_command_prints_one_url_and_serves_the_page(tmp_path: Path) -> None:
    bare = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
    process = await start_vocbot(bare, tmp_path, "sandbox", "--port", "0")
    try:
        assert process.stdout is not None
        lines = [(await asyncio.wait_for(process.stdout.readline(), 120)).decode()]
        lines.append((await asyncio.wait_for(process.stdout.readline(), 120)).decode())
        assert lines[1].startswith("Open http://127.0.0.1:"), lines
        url = lines[1].split()[1]
        async with aiohttp.ClientSession() as http:
            async with http.get(url) as response:
                assert "VoC bot sandbox" in await response.text()
            async with http.get(url + "sandbox/state", params={"as": "UADMIN"}) as response:
                state = json.loads(await response.text())
        assert state["admin"] and state["me"]["name"] == "Priya"
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0


def test_a_port_in_use_is_one_line_and_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "bot", "sandbox", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2 and result.stdout == ""
    [line] = result.stderr.strip().splitlines()  # said before anything starts
    assert line.startswith(f"error: port {port} (--port) is already in use: stop the process")
