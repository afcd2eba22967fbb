"""Runs the Slack emulator in its own process for benchmarks; prints its API URL."""

from __future__ import annotations

import argparse
import asyncio

from bot.emulator import SlackEmulator


async def main(users: int) -> None:
    emulator = SlackEmulator()
    for i in range(users):
        emulator.add_user(f"U{i:06d}", email=f"c{i}@bench.test")
    await emulator.start()
    print(emulator.api_url, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=0)
    asyncio.run(main(parser.parse_args().users))
