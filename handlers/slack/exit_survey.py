"""Listeners for the exit survey: "Tell us why" opens the modal; its Submit records the answer."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond

from blocks.catalog import t
from blocks.exit_survey import exit_modal, need_reason_error
from blocks.ids import ActionId, BlockId, CallbackId
from bot.core.runtime import Runtime
from bot.domain.exit_survey import parse_reasons
from bot.domain.outcomes import TapOutcome
from bot.services import exit_survey
from bot.services.survey_messages import update_survey_message
from handlers.context import parse_int, runtime_of
from handlers.slack.listeners import after_ack
from handlers.slack.payloads import BlockAction, ViewSubmission, parse

log = logging.getLogger(__name__)

NOTES = {
    TapOutcome.NOT_YOURS: "note.not_yours",
    TapOutcome.ANSWERED: "note.answered",
}


def register(app: AsyncApp) -> None:
    app.action(ActionId.EXIT_OPEN)(after_ack(on_open))
    app.view(CallbackId.EXIT_MODAL)(on_submit)


async def on_open(rt: Runtime, action: BlockAction, respond: AsyncRespond) -> None:
    outcome, card = await exit_survey.open_card(
        rt, invitation_id=parse_int(action.value) or 0, user_id=action.user_id
    )
    if card is None:
        await respond(
            text=t(action.user.locale, NOTES.get(outcome, "note.closed")),
            response_type="ephemeral",
            replace_original=False,
        )
        return
    await rt.slack.views_open(trigger_id=action.trigger_id, view=exit_modal(card).to_dict())


async def on_submit(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    submission = parse(ViewSubmission, body)
    if submission is None:
        await ack()
        return
    chosen = submission.view.selected_all(BlockId.EXIT_REASONS, ActionId.EXIT_REASONS)
    if not parse_reasons(chosen):
        locale = submission.user.locale
        await ack(response_action="errors", errors=need_reason_error(locale))
        return
    await ack()
    rt = runtime_of(context)
    async with rt.after_ack():
        result = await exit_survey.record_answer(
            rt,
            invitation_id=parse_int(submission.private_metadata) or 0,
            user_id=submission.user_id,
            chosen=chosen,
            comment=submission.view.typed(BlockId.EXIT_COMMENT, ActionId.EXIT_COMMENT),
            now=rt.now(),
        )
        if result.card is None or result.invitation is None or result.answer_id is None:
            log.info("exit answer refused", extra={"outcome": result.outcome})
            return
        blocks = await exit_survey.answered_message(rt, result.invitation, result.card.locale)
        await update_survey_message(rt, result.invitation, blocks, locale=result.card.locale)
        await exit_survey.notify_csm(rt, result.answer_id, rt.now())
