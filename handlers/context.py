"""How listeners and endpoints reach the runtime: Bolt's context, or the aiohttp app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.core.runtime import Runtime

RUNTIME_KEY = "voc_runtime"
# The aiohttp app holds the runtime under this key for the endpoints that are not Bolt's.
WEB_RUNTIME = web.AppKey("runtime", Runtime)


def install(app: AsyncApp, runtime: Runtime) -> None:
    app.use(_AttachRuntime(runtime))


class _AttachRuntime(AsyncMiddleware):
    """Puts the runtime in every request's context (a class: Bolt inspects no signature)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],  # noqa: A002  Bolt's own name
    ) -> BoltResponse | None:
        req.context[RUNTIME_KEY] = self.runtime
        return await next()


def runtime_of(context: AsyncBoltContext) -> Runtime:
    return context[RUNTIME_KEY]


def parse_int(text: object) -> int | None:
    """An id or score from a button value or private_metadata; None when it is not one."""
    try:
        return int(str(text))
    except ValueError:
        return None
