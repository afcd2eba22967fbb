"""Runs the Slack emulator in its own process for benchmarks; prints its API URL.

On SIGTERM it prints one JSON line: DMs per user, how many calls were refused (and with
which HTTP status), and when each DM was posted.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import signal
import time
from collections import Counter
from pathlib import Path

from bot.devkit.emulator import SlackEmulator


async def main(options: argparse.Namespace) -> None:
    emulator = SlackEmulator()
    for i in range(options.users):
        emulator.add_user(f"U{i:06d}", email=f"c{i}@bench.test")
    if options.cap:
        emulator.rate_limit("chat.postMessage", per_second=options.cap, burst=options.burst)
    if options.fail_503:
        emulator.fail_randomly("chat.postMessage", status=503, probability=options.fail_503)
    if options.lose_503:
        emulator.lose_answers("chat.postMessage", probability=options.lose_503, seed=1)
    await emulator.start()
    # The emulator keeps every call; Python's full collections over that growing heap paused
    # it for ~150 ms, and the requests that queued up meanwhile met its rate limit at once,
    # as if the app had sent them together. Refcounting still frees almost everything; what
    # cycles a bench run leaves behind are not worth those pauses.
    gc.freeze()
    gc.disable()
    print(emulator.api_url, flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    posts = emulator.calls_to("chat.postMessage")
    # What Slack holds, whether or not the poster heard back (a lost answer is a stored DM).
    stored = {f"U{i:06d}": emulator.messages(f"U{i:06d}") for i in range(options.users)}
    per_user = {user: len(dms) for user, dms in stored.items() if dms}
    refused = Counter(str(c.status) for c in posts if not c.ok)
    summary = {"dms": per_user, "refused": sum(refused.values()), "by_status": refused}
    summary["calls"] = Counter(c.method for c in emulator.calls)
    to_monotonic = time.monotonic() - time.time()  # a message's ts is Unix time
    summary["posted_at"] = sorted(  # monotonic seconds, the clock every process shares
        float(m["ts"]) + to_monotonic for dms in stored.values() for m in dms
    )
    if options.trace:
        Path(options.trace).write_text(json.dumps([(c.at, c.status) for c in posts]))
    print(json.dumps(summary), flush=True)
    await emulator.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=0)
    parser.add_argument("--cap", type=float, default=0, help="chat.postMessage per second")
    parser.add_argument("--burst", type=int, default=1)
    parser.add_argument("--fail-503", type=float, default=0, help="share of 503 answers")
    parser.add_argument(
        "--lose-503", type=float, default=0, help="share carried out, then answered 503"
    )
    parser.add_argument("--trace", help="write each chat.postMessage's (time, status) here")
    asyncio.run(main(parser.parse_args()))
