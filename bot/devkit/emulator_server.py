"""`python -m bot emulator`: the local Slack emulator as a long-running server.

For trying `serve`, `send` and the rest without a Slack workspace: point SLACK_API_URL at
the address it prints. It starts with a few people (see `SAMPLE_PEOPLE`) whose emails a
contacts CSV can use, and a #voc channel `CVOC`.
"""

from __future__ import annotations

import asyncio
import signal
from typing import TextIO

from bot.devkit.emulator import SlackEmulator

SAMPLE_PEOPLE = (
    ("U0000001", "ana@example.com", "Ana Souza"),
    ("U0000002", "ben@example.com", "Ben Okafor"),
    ("U0000003", "chloe@example.com", "Chloé Martin"),
)
VOC_CHANNEL = "CVOC"


def add_sample_people(emulator: SlackEmulator) -> None:
    for user_id, email, name in SAMPLE_PEOPLE:
        emulator.add_user(user_id, email=email, name=name)
    emulator.add_channel(VOC_CHANNEL, [user for user, _email, _name in SAMPLE_PEOPLE])


def instructions(api_url: str) -> str:
    people = ", ".join(email for _user, email, _name in SAMPLE_PEOPLE)
    return (
        f"Slack emulator listening: SLACK_API_URL={api_url}\n"
        "Try the bot against it, in another shell:\n"
        f"  export SLACK_API_URL={api_url} SLACK_BOT_TOKEN=xoxb-local "
        f"SLACK_SIGNING_SECRET=local VOC_CHANNEL={VOC_CHANNEL}\n"
        "  python -m bot serve\n"
        f"People it knows (for a contacts CSV): {people}\n"
        "Ctrl-C stops it; it keeps nothing."
    )


async def run(out: TextIO, *, host: str = "127.0.0.1", port: int = 0) -> None:
    """Serve until SIGINT / SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    emulator = SlackEmulator()
    add_sample_people(emulator)
    await emulator.start(host=host, port=port)
    try:
        print(instructions(emulator.api_url), file=out, flush=True)
        await stop.wait()
    finally:
        await emulator.stop()
