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
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.core.runtime import Runtime
from handlers.context import runtime_of
from handlers.slack.payloads import BlockAction, ViewSubmission, parse

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
