"""How listeners and endpoints reach the runtime: Bolt's context, or the aiohttp app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from bot.core.runtime import Runtime

RUNTIME_KEY = "voc_runtime"
# The aiohttp app holds the runtime under this key for the endpoints that are not Bolt's.
WEB_RUNTIME = web.AppKey("runtime", Runtime)


def install(app: AsyncApp, runtime: Runtime) -> None:
    async def attach_runtime(context: AsyncBoltContext, next: Callable[[], Awaitable[Any]]) -> Any:
        context[RUNTIME_KEY] = runtime
        return await next()

    app.middleware(attach_runtime)


def runtime_of(context: AsyncBoltContext) -> Runtime:
    return context[RUNTIME_KEY]


def parse_int(text: object) -> int | None:
    """An id or score from a button value or private_metadata; None when it is not one."""
    try:
        return int(str(text))
    except ValueError:
        return None
