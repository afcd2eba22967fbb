"""How listeners reach the runtime: a middleware puts it in Bolt's context."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from bot.runtime import Runtime

RUNTIME_KEY = "voc_runtime"


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
