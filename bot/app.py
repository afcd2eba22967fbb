"""Assembling the app: Bolt listeners, the HTTP server and the in-process scheduler."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk.signature import SignatureVerifier

import handlers.slack
from bot.core.heap import YoungPasses, collect_when_quiet, settle_heap
from bot.core.logs import AccessLogger, Throttled
from bot.core.runtime import Runtime
from bot.scheduler import build_scheduler, stop_scheduler
from handlers.context import WEB_RUNTIME
from handlers.web import gate, ingest, monitoring, survey_page, zendesk
from handlers.web import jira as jira_hooks

log = logging.getLogger(__name__)
BOLT = web.AppKey("bolt", AsyncApp)
VERIFIER = web.AppKey("verifier", SignatureVerifier)
REJECTIONS = web.AppKey("rejections", Throttled)
SHUTDOWN_GRACE = 10.0


def _signing_secret(rt: Runtime) -> str | None:
    secret = rt.settings.slack_signing_secret
    return secret.get_secret_value() if secret else None


class _ClientHoldsTheToken(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment even when given our client, which
    holds that very token, and warned on every start that the token "will be unused"."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


_TOKEN_NOTICE = _ClientHoldsTheToken()


def build_bolt_app(rt: Runtime) -> AsyncApp:
    """The Bolt app with every listener registered."""
    logging.getLogger("slack_bolt").addFilter(_TOKEN_NOTICE)  # once: the same filter
    app = AsyncApp(
        client=rt.slack,
        signing_secret=_signing_secret(rt),
        process_before_response=False,
        logger=logging.getLogger("slack_bolt"),
    )
    handlers.slack.register(app, rt)
    return app


def build_web_app(rt: Runtime, *, scheduler: bool = True) -> web.Application:
    """`POST /slack/events` for Bolt, `GET /healthz`; the scheduler runs while it serves."""
    web_app = web.Application()
    web_app[WEB_RUNTIME] = rt
    web_app[BOLT] = build_bolt_app(rt)
    web_app[VERIFIER] = SignatureVerifier(_signing_secret(rt) or "")
    web_app[REJECTIONS] = gate.rejection_log()
    web_app.router.add_post("/slack/events", _slack_events)
    # /healthz stays here for the load balancer; /metrics moves to METRICS_PORT when set
    monitoring.register(web_app, with_metrics=rt.settings.metrics_port is None)
    web_app.router.add_post("/hooks/events", ingest.events_endpoint)
    web_app.router.add_post("/hooks/zendesk", zendesk.zendesk_endpoint)  # solved tickets
    web_app.router.add_post("/hooks/jira", jira_hooks.jira_endpoint)  # Jira status back
    survey_page.register(web_app)  # the page behind survey emails' links
    web_app.on_startup.append(_migrate)
    if scheduler:
        web_app.cleanup_ctx.append(_scheduler)
    web_app.on_cleanup.append(_close)
    return web_app


def web_runner(web_app: web.Application) -> web.AppRunner:
    """The runner `serve` uses: its access log carries no header, query or link token."""
    return web.AppRunner(web_app, access_log_class=AccessLogger)


async def run_server(rt: Runtime, *, port: int, scheduler: bool = True) -> None:
    """Serve until SIGINT / SIGTERM; prints the address once listening."""
    runner = web_runner(build_web_app(rt, scheduler=scheduler))
    await runner.setup()
    site = web.TCPSite(runner, host="0.0.0.0", port=port)
    await site.start()
    bound = runner.addresses[0][1]
    print(f"VoC bot listening on http://0.0.0.0:{bound}/slack/events", flush=True)
    metrics_server = await monitoring.start(rt, rt.settings.metrics_port)
    settle_heap()
    collector = asyncio.create_task(collect_when_quiet(lambda: rt.acks.acking_now > 0))
    young = YoungPasses(lambda: rt.acks.acking_now > 0)
    rt.on_idle.append(young.work_ended)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
        await site.stop()  # no new requests; finish the work already acked
        await rt.settle(SHUTDOWN_GRACE)
    finally:
        collector.cancel()
        young.close()
        if metrics_server is not None:
            await metrics_server.cleanup()
        await runner.cleanup()


async def _slack_events(request: web.Request) -> web.Response:
    """Bolt sees only signed, readable requests (handlers/web/gate.py); nothing here answers 5xx."""
    checked = await gate.signed_bolt_request(
        request, request.app[VERIFIER], request.app[REJECTIONS]
    )
    if isinstance(checked, web.Response):
        return checked
    # counted once verified: an unsigned or dribbled body holds back no one's work
    with request.app[WEB_RUNTIME].acks.acking():  # work after acks waits meanwhile
        try:
            response = await request.app[BOLT].async_dispatch(checked)
        except Exception as exc:  # a signed payload of a shape Bolt cannot take
            log.warning("refused a malformed Slack payload", extra={"error": type(exc).__name__})
            return web.Response(status=400, text="malformed payload")
        return await to_aiohttp_response(response)


async def _migrate(web_app: web.Application) -> None:
    await web_app[WEB_RUNTIME].start()
    await web_app[WEB_RUNTIME].db.upgrade()


async def _scheduler(web_app: web.Application) -> Any:
    scheduler = build_scheduler(web_app[WEB_RUNTIME])
    scheduler.start()
    yield
    await stop_scheduler(scheduler, web_app[WEB_RUNTIME])


async def _close(web_app: web.Application) -> None:
    rt = web_app[WEB_RUNTIME]
    await rt.settle(SHUTDOWN_GRACE)
    await rt.close()
