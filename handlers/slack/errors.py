"""The one Bolt error handler: what a person hears when a listener fails, and the log line.

Listeners ack first and do their work inside `Runtime.after_ack()` (`bot/core/runtime.py`);
with `process_before_response=False` Bolt runs that work in a task of its own and hands an
exception escaping it to the handler registered with `app.error`. Errors a listener means
to answer (`UserError` and its kin, `bot/domain/errors.py`) are answered by the listener;
anything else lands here.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.response import BoltResponse

from blocks.catalog import t
from bot.core.runtime import Runtime
from bot.core.slack_errors import SlackError
from bot.services.failures import contact_locale
from handlers.context import runtime_of
from handlers.slack.payloads import Origin, origin_of

log = logging.getLogger(__name__)
# Bolt's runner (slack_bolt/listener/asyncio_runner.py) checks every 10 ms whether the listener
# acked, and after this handler returns it sets the ack back to None; a failure within 10 ms of
# the ack would turn the answer Slack gets into a 404. Waiting longer than one check first
# lets the ack go out: asyncio runs timers in deadline order.
ACK_POLL_SECONDS = 0.02


def register(app: AsyncApp) -> None:
    app.error(on_error)


async def on_error(
    error: Exception,
    body: dict[str, Any],
    context: AsyncBoltContext,
    respond: AsyncRespond | None,
    response: BoltResponse | None,
) -> None:
    """Log one ERROR line with the cause; after the ack, tell the person it did not save.

    Before the ack Bolt answers Slack with a 500 and Slack shows its own error; events
    (App Home opened) have no action of the person's to retry, so nobody is told.
    The line names the exception's type and the listener's id, never the message text
    (it can hold what someone typed, or an email in a database error).
    """
    origin = origin_of(body)
    acked = response is None  # Bolt drops the response once the listener has acked
    log.error(
        "listener failed",
        extra={"error": type(error).__name__, "listener": origin.listener, "acked": acked},
    )
    if not acked:
        return
    await asyncio.sleep(ACK_POLL_SECONDS)
    if origin.kind == "event_callback" or not origin.user:
        return
    rt = runtime_of(context)
    locale = await contact_locale(rt, origin.user) or origin.locale
    try:
        await _tell(rt, origin, respond, t(locale, "error.not_saved"))
    except (SlackError, aiohttp.ClientError, TimeoutError) as exc:
        log.warning("failure note not sent", extra={"error": type(exc).__name__})


async def _tell(rt: Runtime, origin: Origin, respond: AsyncRespond | None, text: str) -> None:
    """Ephemeral where the action happened in a channel; a DM otherwise (modals, App Home)."""
    if respond is not None and origin.response_url:
        await respond(text=text, response_type="ephemeral", replace_original=False)
    elif origin.channel:
        await rt.slack.chat_postEphemeral(channel=origin.channel, user=origin.user, text=text)
    else:
        await rt.slack.chat_postMessage(channel=origin.user, text=text)
