"""Health cases' buttons in #voc: Claim and Done."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond

from blocks.ids import ActionId
from bot.core.runtime import Runtime
from bot.services import health
from handlers.context import parse_int
from handlers.slack.listeners import after_ack
from handlers.slack.payloads import BlockAction


def register(app: AsyncApp) -> None:
    app.action(ActionId.HEALTH_CLAIM)(after_ack(on_claim))
    app.action(ActionId.HEALTH_CLOSE)(after_ack(on_close))


async def on_claim(rt: Runtime, action: BlockAction, respond: AsyncRespond) -> None:
    if not await health.claim_case(rt, parse_int(action.value) or 0, action.user_id, rt.now()):
        await respond(
            text="Someone already claimed this health case.",
            response_type="ephemeral",
            replace_original=False,
        )


async def on_close(rt: Runtime, action: BlockAction, respond: AsyncRespond) -> None:
    await health.close_case(rt, parse_int(action.value) or 0, rt.now())
