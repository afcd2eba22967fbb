"""`GET /healthz` and `GET /metrics`: on `serve`'s port, and on METRICS_PORT for `worker`
and `socket` (which have no HTTP server of their own)."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.core import metrics as counters
from bot.core.runtime import Runtime
from bot.services import operations
from handlers.context import WEB_RUNTIME

log = logging.getLogger(__name__)


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers and can be written, else 503 with the reason; says how
    long ago this process's scheduler last finished a pass."""
    database = await operations.database_health(request.app[WEB_RUNTIME])
    if not database.ok:
        body = {"ok": False, "database": database.state, "reason": database.reason}
        return web.json_response(body, status=503)
    age = counters.last_pass_age()
    last_pass = None if age is None else round(age, 1)
    return web.json_response({"ok": True, "database": "ok", "last_pass_seconds_ago": last_pass})


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text format: see README.md's "Running it"."""
    body = await operations.metrics_text(request.app[WEB_RUNTIME])
    return web.Response(body=body, content_type="text/plain", charset="utf-8")


async def start(rt: Runtime, port: int | None) -> web.AppRunner | None:
    """Serve /metrics and /healthz on `port` (0 picks a free one); None when port is None."""
    if port is None:
        return None
    app = web.Application()
    app[WEB_RUNTIME] = rt
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host="0.0.0.0", port=port).start()
    bound = runner.addresses[0][1]
    log.info("metrics listening", extra={"url": f"http://0.0.0.0:{bound}/metrics"})
    return runner
