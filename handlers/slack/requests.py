"""Listeners for the week-later question on a shipped request: Yes, or Not quite + why."""

from __future__ import annotations

import json
import logging

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond

from blocks import requests as request_blocks
from blocks.surveys import to_dicts
from bot.core.runtime import Runtime
from bot.domain.vocabulary import SolvedAnswer
from bot.services import shipping
from handlers.context import parse_int
from handlers.slack.listeners import after_ack, after_submit
from handlers.slack.payloads import BlockAction, ViewSubmission

log = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    app.action(request_blocks.SOLVED_YES)(after_ack(on_yes))
    app.action(request_blocks.SOLVED_NOT_QUITE)(after_ack(on_not_quite))
    app.view(request_blocks.SOLVED_MODAL)(after_submit(on_not_quite_submitted))


async def on_yes(rt: Runtime, action: BlockAction, respond: AsyncRespond) -> None:
    await _answer(
        rt,
        notice_id=parse_int(action.value) or 0,
        user_id=action.user_id,
        said=SolvedAnswer.YES,
        comment=None,
        where=(action.channel_id, action.message_ts),
    )


async def on_not_quite(rt: Runtime, action: BlockAction, respond: AsyncRespond) -> None:
    metadata = json.dumps(
        {
            "notice": parse_int(action.value) or 0,
            "channel": action.channel_id,
            "ts": action.message_ts,
        }
    )
    await rt.slack.views_open(
        trigger_id=action.trigger_id, view=request_blocks.not_quite_modal(metadata).to_dict()
    )


async def on_not_quite_submitted(rt: Runtime, submission: ViewSubmission) -> None:
    try:
        metadata = json.loads(submission.private_metadata or "{}")
    except ValueError:
        metadata = {}
    comment = submission.view.typed(
        request_blocks.SOLVED_COMMENT, request_blocks.SOLVED_COMMENT_INPUT
    )
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
