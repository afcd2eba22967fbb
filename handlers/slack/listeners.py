"""What a button, menu or plain form listener does first: ack, parse once, take a slot.

A listener's own work is written as `work(rt, action, respond)` for a button or menu, or
`work(rt, submission)` for a modal whose fields need no checking before it closes, and
registered as `after_ack(work)` or `after_submit(work)`. Slack gets its ack before anything
else; the body is parsed into its model (one that does not fit is logged by `parse` and
dropped: nothing changes, and the person can act again); then the work runs in one of the
runtime's after-ack slots (`Runtime.after_ack`), which shutdown waits for.

Opened by hand instead: a rating tap, recorded by group commit before it takes a slot
(handlers/slack/surveys.py `on_rate`), and the modals checked before the ack, whose errors Slack
shows next to their fields.

Every view submission, whichever listener takes it, first passes `SubmissionReplays`: the
same submission sent again (a replayed signed request, or a second Submit after Slack lost
the first ack) is acked and dropped, so a modal's work is done once (bot/services/replays.py).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.core.runtime import Runtime
from bot.services import replays
from handlers.context import runtime_of
from handlers.slack.payloads import BlockAction, ViewSubmission, parse

log = logging.getLogger(__name__)

P = TypeVar("P", BlockAction, ViewSubmission)
ActionWork = Callable[[Runtime, BlockAction, AsyncRespond], Awaitable[None]]
SubmitWork = Callable[[Runtime, ViewSubmission], Awaitable[None]]
# Bolt passes what a listener asks for by its parameters' names.
Listener = Callable[[AsyncAck, dict[str, Any], AsyncBoltContext, AsyncRespond], Awaitable[None]]


def after_ack(work: ActionWork) -> Listener:
    """A button's or menu's listener: ack, parse, then `work` in an after-ack slot."""
    return _listener(BlockAction, work, work.__name__)


def after_submit(work: SubmitWork) -> Listener:
    """A plain modal's listener: ack (the modal closes), parse, then `work` in a slot."""

    async def run(rt: Runtime, submission: ViewSubmission, _respond: AsyncRespond) -> None:
        await work(rt, submission)

    return _listener(ViewSubmission, run, work.__name__)


def _listener(
    model: type[P], work: Callable[[Runtime, P, AsyncRespond], Awaitable[None]], name: str
) -> Listener:
    async def listener(
        ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
    ) -> None:
        await ack()
        payload = parse(model, body)
        if payload is None:
            return
        rt = runtime_of(context)
        async with rt.after_ack():
            await work(rt, payload, respond)

    listener.__name__ = listener.__qualname__ = name  # as Bolt's logs name it
    return listener


def install(app: AsyncApp, runtime: Runtime) -> None:
    """Drop replayed view submissions before any listener sees them."""
    app.use(SubmissionReplays(runtime))


class SubmissionReplays(AsyncMiddleware):
    """A view submission already handled (in any process) is acked with nothing done."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],  # noqa: A002  Bolt's own name
    ) -> BoltResponse | None:
        body = req.body
        if not isinstance(body, dict) or body.get("type") != "view_submission":
            return await next()
        rt = self.runtime
        key = replays.submission_key(body)
        if not await replays.first_sighting(rt, key, rt.now()):
            view = body.get("view") or {}
            callback = view.get("callback_id") if isinstance(view, dict) else None
            log.info("replayed view submission ignored", extra={"callback_id": callback})
            return BoltResponse(status=200, body="")  # the modal closes, as the first time
        req.context["ack"] = _SubmissionAck(rt, key)
        return await next()


class _SubmissionAck(AsyncAck):
    """Bolt's ack, which forgets the submission when it answers with validation errors:
    nothing was done, and the same values submitted again must show the errors again."""

    def __init__(self, rt: Runtime, key: str) -> None:
        super().__init__()
        self._rt = rt
        self._key = key

    async def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        if kwargs.get("response_action") == "errors":
            await replays.forget(self._rt, self._key)
        return await super().__call__(*args, **kwargs)
