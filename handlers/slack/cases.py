"""Listeners for #voc cards (Claim, Release, Log follow-up and its modal) and promoters' yes."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond

from blocks.cases import claim_refused_text, follow_up_modal
from blocks.ids import ADVOCACY_ACTION, ActionId, BlockId, CallbackId
from bot.core.runtime import Runtime
from bot.core.slack import error_code
from bot.core.slack_errors import SlackError
from bot.domain.errors import UserError
from bot.domain.outcomes import FollowUpField, TapOutcome, follow_up_errors
from bot.services import advocacy, cases, home
from handlers.context import parse_int, runtime_of
from handlers.slack.listeners import after_ack
from handlers.slack.payloads import BlockAction, ViewSubmission, parse

log = logging.getLogger(__name__)
_BLOCKS = {FollowUpField.OUTCOME: BlockId.OUTCOME, FollowUpField.NOTE: BlockId.NOTE}


def register(app: AsyncApp) -> None:
    app.action(ActionId.CLAIM)(after_ack(on_claim))
    app.action(ActionId.RELEASE)(after_ack(on_release))
    app.action(ActionId.LOG_FOLLOW_UP)(after_ack(on_log))
    app.view(CallbackId.FOLLOW_UP_MODAL)(on_follow_up)
    app.action(ADVOCACY_ACTION)(after_ack(on_advocacy))


async def on_claim(rt: Runtime, action: BlockAction, respond: AsyncRespond) -> None:
    try:
        owner = await cases.claim_case(
            rt, _case_id(action), action.user_id, rt.now(), action.user_team
        )
    except UserError as exc:
        await _answer(rt, action, respond, str(exc))
        return
    if owner:
        await _answer(rt, action, respond, claim_refused_text(owner))
        return
    await _after_home(rt, action)


async def on_release(rt: Runtime, action: BlockAction, respond: AsyncRespond) -> None:
    try:
        released = await cases.release_case(
            rt, _case_id(action), action.user_id, rt.now(), action.user_team
        )
    except UserError as exc:
        await _answer(rt, action, respond, str(exc))
        return
    if not released:
        text = "Nobody has claimed this follow-up, so there is no claim to release."
        await _answer(rt, action, respond, text)
        return
    await _after_home(rt, action)


async def on_log(rt: Runtime, action: BlockAction, respond: AsyncRespond) -> None:
    try:
        card = await cases.require_change(
            rt, _case_id(action), action.user_id, action.user_team, action.user.locale
        )
    except UserError as exc:
        await _answer(rt, action, respond, str(exc))
        return
    await rt.slack.views_open(trigger_id=action.trigger_id, view=follow_up_modal(card).to_dict())


async def on_follow_up(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    """Validate in the modal (errors next to the field), then record after the ack."""
    submission = parse(ViewSubmission, body)
    if submission is None:
        await ack()  # nothing to check it against: the modal just closes
        return
    rt = runtime_of(context)
    outcome = submission.view.selected(BlockId.OUTCOME, ActionId.OUTCOME_SELECT)
    note = submission.view.typed(BlockId.NOTE, ActionId.NOTE_INPUT)
    errors = _follow_up_errors(outcome, note)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    async with rt.after_ack():
        case_id = parse_int(submission.private_metadata) or 0
        try:
            await cases.log_follow_up(
                rt, case_id, submission.user_id, outcome, note, rt.now(), submission.user_team
            )
        except UserError as exc:  # e.g. claimed by someone else meanwhile: tell them in a DM
            log.info("follow-up not logged", extra={"case": case_id})
            await _tell(rt, submission.user_id, str(exc))


async def on_advocacy(rt: Runtime, action: BlockAction, respond: AsyncRespond) -> None:
    outcome = await advocacy.accept(
        rt,
        invitation_id=parse_int(action.value) or 0,
        user_id=action.user_id,
        offer=action.action_id.removeprefix(ActionId.ADVOCACY_PREFIX),
        now=rt.now(),
    )
    if outcome is not TapOutcome.RECORDED:
        await _ephemeral(respond, "This button is not for you, or the survey has closed.")


def _follow_up_errors(outcome: str, note: str) -> dict[str, str]:
    """The domain's follow-up rule, keyed by the modal's block ids for Slack to show."""
    return {str(_BLOCKS[field]): text for field, text in follow_up_errors(outcome, note).items()}


async def _answer(rt: Runtime, action: BlockAction, respond: AsyncRespond, text: str) -> None:
    """An ephemeral note where the button was; from App Home (no response_url), a DM."""
    if action.response_url:
        await _ephemeral(respond, text)
    else:
        await _tell(rt, action.user_id, text)


async def _after_home(rt: Runtime, action: BlockAction) -> None:
    """A button on App Home: show the Home tab again with the change."""
    if not action.response_url and action.view is not None:
        await home.publish_home(rt, action.user_id, rt.now())


async def _ephemeral(respond: AsyncRespond, text: str) -> None:
    await respond(text=text, response_type="ephemeral", replace_original=False)


async def _tell(rt: Runtime, user_id: str, text: str) -> None:
    try:
        await rt.slack.chat_postMessage(channel=user_id, text=text)
    except SlackError as exc:
        log.warning("refusal not sent", extra={"error": error_code(exc)})


def _case_id(action: BlockAction) -> int:
    return parse_int(action.value) or 0
