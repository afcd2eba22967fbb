"""Listeners for the week-later question on a shipped request: Yes, or Not quite + why."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from blocks import requests as request_blocks
from blocks.surveys import to_dicts
from bot.core.runtime import Runtime
from bot.services import shipping
from handlers.context import parse_int, runtime_of
from handlers.payloads import BlockAction, ViewSubmission, parse
from storage.models import SolvedAnswer

log = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    app.action(request_blocks.SOLVED_YES)(on_yes)
    app.action(request_blocks.SOLVED_NOT_QUITE)(on_not_quite)
    app.view(request_blocks.SOLVED_MODAL)(on_not_quite_submitted)


async def on_yes(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    action = parse(BlockAction, body)
    if action is None:
        return
    rt = runtime_of(context)
    async with rt.after_ack():
        await _answer(
            rt,
            notice_id=parse_int(action.value) or 0,
            user_id=action.user_id,
            said=SolvedAnswer.YES,
            comment=None,
            where=(action.channel_id, action.message_ts),
        )


async def on_not_quite(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    action = parse(BlockAction, body)
    if action is None:
        return
    rt = runtime_of(context)
    metadata = json.dumps(
        {
            "notice": parse_int(action.value) or 0,
            "channel": action.channel_id,
            "ts": action.message_ts,
        }
    )
    async with rt.after_ack():
        await rt.slack.views_open(
            trigger_id=action.trigger_id, view=request_blocks.not_quite_modal(metadata).to_dict()
        )


async def on_not_quite_submitted(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
) -> None:
    await ack()
    submission = parse(ViewSubmission, body)
    if submission is None:
        return
    rt = runtime_of(context)
    try:
        metadata = json.loads(submission.private_metadata or "{}")
    except ValueError:
        metadata = {}
    comment = submission.view.typed(
        request_blocks.SOLVED_COMMENT, request_blocks.SOLVED_COMMENT_INPUT
    )
    async with rt.after_ack():
        await _answer(
            rt,
            notice_id=parse_int(metadata.get("notice")) or 0,
            user_id=submission.user_id,
            said=SolvedAnswer.NOT_QUITE,
            comment=comment,
            where=(metadata.get("channel"), metadata.get("ts")),
        )


async def _answer(
    rt: Runtime,
    *,
    notice_id: int,
    user_id: str,
    said: str,
    comment: str | None,
    where: tuple[str | None, str | None],
) -> None:
    recorded, feature, locale = await shipping.answer(
        rt, notice_id=notice_id, user_id=user_id, said=said, comment=comment, now=rt.now()
    )
    channel, ts = where
    if not recorded or not channel or not ts:
        log.info("request answer not recorded", extra={"notice_id": notice_id})
        return
    blocks = request_blocks.answered_blocks(feature, said, locale)
    await rt.slack.chat_update(
        channel=channel,
        ts=ts,
        text=request_blocks.question_text(feature, locale),
        blocks=to_dicts(blocks),
    )
