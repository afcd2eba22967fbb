"""`GET /healthz` and `GET /metrics`: on `serve`'s port, and on METRICS_PORT for `worker`
and `socket` (which have no HTTP server of their own) and for `serve` when it is set, which
then keeps `/metrics` off its public port."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.core import metrics as counters
from bot.core.runtime import Runtime
from bot.services import operations
from handlers.context import WEB_RUNTIME

log = logging.getLogger(__name__)
COUNTS = web.AppKey("database_counts", operations.DatabaseCounts)


def register(web_app: web.Application, *, with_metrics: bool = True) -> None:
    """Add `/healthz`, and `/metrics` unless `with_metrics` is False, to an app being built."""
    web_app.router.add_get("/healthz", healthz)
    if with_metrics:
        web_app[COUNTS] = operations.DatabaseCounts()
        web_app.router.add_get("/metrics", metrics)


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers and takes a write, else 503; says how long ago this
    process's scheduler last finished a pass.

    Whoever asks learns only `"database": "unavailable"`; the reason, which names the
    database's host or file, goes to the log (bot/services/operations.py).
    """
    database = await operations.database_health(request.app[WEB_RUNTIME])
    if not database.ok:
        return web.json_response({"ok": False, "database": "unavailable"}, status=503)
    age = counters.last_pass_age()
    last_pass = None if age is None else round(age, 1)
    return web.json_response({"ok": True, "database": "ok", "last_pass_seconds_ago": last_pass})


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text format: see docs/operations.md."""
    body = await operations.metrics_text(request.app[WEB_RUNTIME], request.app[COUNTS])
    return web.Response(body=body, content_type="text/plain", charset="utf-8")


async def start(rt: Runtime, port: int | None) -> web.AppRunner | None:
    """Serve /metrics and /healthz on `port` (0 picks a free one); None when port is None."""
    if port is None:
        return None
    app = web.Application()
    app[WEB_RUNTIME] = rt
    register(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host="0.0.0.0", port=port).start()
    bound = runner.addresses[0][1]
    log.info("metrics listening", extra={"url": f"http://0.0.0.0:{bound}/metrics"})
    return runner
