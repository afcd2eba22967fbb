"""Listener for a survey asked in a shared channel: each tap is the tapper's own answer."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond

from blocks.catalog import t
from blocks.ids import SHARED_RATE_ACTION
from blocks.shared_surveys import parse_rating_value
from bot.core.runtime import Runtime
from bot.domain.outcomes import TapOutcome
from bot.services import cases, shared_surveys
from handlers.slack.listeners import after_ack
from handlers.slack.payloads import BlockAction
from handlers.slack.surveys import NOTES


def register(app: AsyncApp) -> None:
    app.action(SHARED_RATE_ACTION)(after_ack(on_shared_rate))


async def on_shared_rate(rt: Runtime, action: BlockAction, respond: AsyncRespond) -> None:
    parsed = parse_rating_value(action.value)
    if parsed is None:
        await _note(respond, action, TapOutcome.UNKNOWN)
        return
    invitation_ids, score = parsed
    channel = action.channel_id or ""
    result = await shared_surveys.record_tap(
        rt,
        invitation_ids=invitation_ids,
        score=score,
        user_id=action.user_id,
        channel=channel,
        message_ts=action.message_ts,
        now=rt.now(),
    )
    if result.outcome is not TapOutcome.RECORDED or result.card is None:
        await _note(respond, action, result.outcome)
        return
    await shared_surveys.confirm_privately(rt, result.card, channel=channel, user_id=action.user_id)
    await shared_surveys.refresh_post(rt, invitation_ids)
    if result.case_id is not None:
        await cases.post_card(rt, result.case_id, rt.now())


async def _note(respond: AsyncRespond, action: BlockAction, outcome: TapOutcome) -> None:
    """A polite note only the tapper sees; the channel's post stays as it is."""
    await respond(
        text=t(action.user.locale, NOTES.get(outcome, "note.closed")),
        response_type="ephemeral",
        replace_original=False,
    )
