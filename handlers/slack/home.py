"""The App Home tab: published when someone opens it.

The tab's "Log feedback" button (`ActionId.LOG_FEEDBACK`) opens the /voc "Log feedback"
form; its listener lives with the other /voc listeners in `handlers/slack/voc_command.py`.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from bot.services import home
from handlers.context import runtime_of
from handlers.slack.payloads import AppHomeOpened, parse


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(on_home_opened)


async def on_home_opened(event: dict[str, Any], context: AsyncBoltContext) -> None:
    """Bolt has acked the event; a Slack retry just publishes the same view again."""
    opened = parse(AppHomeOpened, event)
    if opened is None or opened.tab != "home":
        return  # the Messages tab: nothing to draw
    rt = runtime_of(context)
    async with rt.after_ack():
        await home.publish_home(rt, opened.user, rt.now())
