"""Listeners for the survey DM: rating taps, a detractor's theme choice, "Tell us why", its
modal, and the opt-out."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond

from blocks.catalog import t
from blocks.ids import RATE_ACTION, ActionId, BlockId, CallbackId
from blocks.questions import chain_blocks, survey_message
from blocks.surveys import closed_blocks, comment_modal, to_dicts
from bot.core.runtime import Runtime
from bot.domain.outcomes import TapOutcome
from bot.services import advocacy, cases, followups, shared_surveys, taps, theme_choice
from bot.services.delivery import card_for
from bot.services.survey_messages import update_survey_message
from handlers.context import parse_int, runtime_of
from handlers.slack.listeners import after_ack, after_submit
from handlers.slack.payloads import BlockAction, ViewSubmission, parse
from handlers.slack.question_sets import with_followups

log = logging.getLogger(__name__)

NOTES = {
    TapOutcome.NOT_YOURS: "note.not_yours",
    TapOutcome.ANSWERED: "note.answered",
    TapOutcome.CLOSED: "note.closed",
    TapOutcome.UNKNOWN: "note.closed",
}


def register(app: AsyncApp) -> None:
    app.action(RATE_ACTION)(on_rate)
    app.action(ActionId.TELL_WHY)(after_ack(on_tell_why))
    app.action(ActionId.OPT_OUT)(after_ack(on_opt_out))
    app.action(ActionId.THEME_CHOICE)(after_ack(on_theme))
    app.view(CallbackId.COMMENT_MODAL)(after_submit(on_comment))


async def on_rate(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    await ack()
    action = parse(BlockAction, body)
    if action is None:
        return
    rt = runtime_of(context)
    async with rt.acked():  # recorded at once, in one transaction with the taps around it
        result = await _record_rating(rt, action)
        async with rt.after_ack():  # then the Slack calls, a few at a time
            await _show_rating(rt, action, respond, result)


async def _record_rating(rt: Runtime, action: BlockAction) -> taps.TapResult:
    parsed = _rating(action.value)
    if parsed is None:
        return taps.TapResult(TapOutcome.UNKNOWN)
    invitation_id, score = parsed
    return await taps.record_tap(
        rt,
        invitation_id=invitation_id,
        score=score,
        user_id=action.user_id,
        channel=action.channel_id,
        message_ts=action.message_ts,
        now=rt.now(),
    )


async def _show_rating(
    rt: Runtime, action: BlockAction, respond: AsyncRespond, result: taps.TapResult
) -> None:
    if result.outcome is not TapOutcome.RECORDED or result.card is None:
        await _note(respond, action, result.outcome)
        return
    assert result.invitation is not None
    chain = await followups.chain_card(rt, result.invitation) if result.chained else None
    blocks = survey_message(result.card, chain=chain, offers=[], review_url=rt.settings.review_url)
    blocks = await with_followups(rt, result.invitation, result.card, blocks)
    await update_survey_message(rt, result.invitation, blocks, locale=result.card.locale)
    if result.case_id is not None:
        await cases.post_card(rt, result.case_id, rt.now())


async def on_tell_why(rt: Runtime, action: BlockAction, respond: AsyncRespond) -> None:
    outcome, card = await taps.answered_card(
        rt, invitation_id=parse_int(action.value) or 0, user_id=action.user_id, now=rt.now()
    )
    if card is None:
        await _note(respond, action, outcome)
        return
    await rt.slack.views_open(trigger_id=action.trigger_id, view=comment_modal(card).to_dict())


async def on_comment(rt: Runtime, submission: ViewSubmission) -> None:
    outcome, card, invitation = await taps.save_comment(
        rt,
        invitation_id=parse_int(submission.private_metadata) or 0,
        user_id=submission.user_id,
        comment=submission.view.field(BlockId.COMMENT, ActionId.COMMENT_INPUT).value,
        now=rt.now(),
    )
    if card is None or invitation is None:
        log.info("comment refused", extra={"outcome": outcome})
        return
    offers = await advocacy.offers_for(rt, card.invitation_id)
    if shared_surveys.is_shared(invitation):  # asked in a shared channel: only they see it
        await shared_surveys.confirm_privately(
            rt,
            card,
            channel=invitation.dm_channel or "",
            user_id=submission.user_id,
            offers=offers,
        )
    chain = await followups.chain_card(rt, invitation)
    blocks = survey_message(card, chain=chain, offers=offers, review_url=rt.settings.review_url)
    blocks = await with_followups(rt, invitation, card, blocks)
    await update_survey_message(rt, invitation, blocks, locale=card.locale)
    await cases.refresh_card_for_invitation(rt, card.invitation_id, rt.now())


async def on_theme(rt: Runtime, action: BlockAction, respond: AsyncRespond) -> None:
    """A detractor chose what disappointed them most: tag the answer, show the choice."""
    invitation_id, _, theme = action.selected.partition(":")
    outcome, card, invitation = await theme_choice.choose_theme(
        rt,
        invitation_id=parse_int(invitation_id) or 0,
        user_id=action.user_id,
        value=theme,
        now=rt.now(),
    )
    if card is None or invitation is None:
        await _note(respond, action, outcome)
        return
    offers = await advocacy.offers_for(rt, card.invitation_id)
    blocks = survey_message(card, chain=None, offers=offers, review_url=rt.settings.review_url)
    blocks = await with_followups(rt, invitation, card, blocks)
    await update_survey_message(rt, invitation, blocks, locale=card.locale)


async def on_opt_out(rt: Runtime, action: BlockAction, respond: AsyncRespond) -> None:
    outcome, invitation, contact = await taps.opt_out(
        rt, invitation_id=parse_int(action.value) or 0, user_id=action.user_id, now=rt.now()
    )
    if outcome is not TapOutcome.RECORDED or invitation is None or contact is None:
        await _note(respond, action, outcome)
        return
    if shared_surveys.is_shared(invitation):  # the post stays; only they hear it is done
        await respond(
            text=t(contact.locale, "survey.opted_out"),
            response_type="ephemeral",
            replace_original=False,
        )
        await shared_surveys.refresh_post_at(
            rt, invitation.dm_channel or "", invitation.message_ts or ""
        )
        return
    chain = await followups.chain_card(rt, invitation, closed="opted_out")
    closed = closed_blocks(card_for(invitation, contact), reason="opted_out")
    blocks = chain_blocks(chain) if chain else to_dicts(closed)
    await update_survey_message(rt, invitation, blocks, locale=contact.locale)


async def _note(respond: AsyncRespond, action: BlockAction, outcome: TapOutcome) -> None:
    """A polite ephemeral note to the person who tapped; the survey itself stays as it is."""
    await respond(
        text=t(action.user.locale, NOTES.get(outcome, "note.closed")),
        response_type="ephemeral",
        replace_original=False,
    )


def _rating(value: str) -> tuple[int, int] | None:
    """`invitation_id:score` from a rating button's value; None when it is not that."""
    invitation, _, score = value.partition(":")
    if parse_int(invitation) is None or parse_int(score) is None:
        log.warning("rating button with an unexpected value", extra={"value": value[:50]})
        return None
    return parse_int(invitation) or 0, parse_int(score) or 0
