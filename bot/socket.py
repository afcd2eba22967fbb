"""Socket Mode: the same Bolt app over a websocket, for local use without a public URL."""

from __future__ import annotations

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.app import build_bolt_app
from bot.runtime import Runtime, settle_tasks
from bot.scheduler import build_scheduler, stop_scheduler


async def run_socket_mode(rt: Runtime, *, scheduler: bool = True) -> None:
    await rt.start()
    await rt.db.upgrade()
    app = build_bolt_app(rt)
    jobs = build_scheduler(rt) if scheduler else None
    if jobs:
        jobs.start()
    handler = AsyncSocketModeHandler(app, rt.settings.slack_app_token)
    try:
        await handler.start_async()
    finally:
        if jobs:
            await stop_scheduler(jobs)
        await settle_tasks()
        await rt.close()
