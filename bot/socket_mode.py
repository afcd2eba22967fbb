"""Socket Mode: the same Bolt app over a websocket, for local use without a public URL."""

from __future__ import annotations

import asyncio
import signal

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.app import SHUTDOWN_GRACE, build_bolt_app
from bot.core.runtime import Runtime
from bot.scheduler import build_scheduler, stop_scheduler
from handlers.web import monitoring


async def run_socket_mode(
    rt: Runtime, *, scheduler: bool = True, stop: asyncio.Event | None = None
) -> None:
    """Connect (through `SLACK_API_URL`'s `apps.connections.open`) and serve until `stop`.

    Without `stop`, SIGINT and SIGTERM end it: the socket closes first, then the work
    already acked finishes, like `serve`.
    """
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    await rt.start()
    await rt.db.upgrade()
    metrics_server = await monitoring.start(rt, rt.settings.metrics_port)
    # Bolt's handler calls apps.connections.open with the app's own client, so the
    # websocket URL comes from SLACK_API_URL too (the local emulator in tests).
    app_token = rt.settings.slack_app_token
    handler = AsyncSocketModeHandler(
        build_bolt_app(rt), app_token.get_secret_value() if app_token else None
    )
    jobs = build_scheduler(rt) if scheduler else None
    try:
        await handler.connect_async()
        print("VoC bot connected to Slack over Socket Mode", flush=True)
        if jobs:
            jobs.start()
        await stop.wait()
    finally:
        await handler.close_async()
        if jobs:
            await stop_scheduler(jobs, rt)
        await rt.settle(SHUTDOWN_GRACE)
        if metrics_server is not None:
            await metrics_server.cleanup()
        await rt.close()
