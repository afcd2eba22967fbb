"""Listeners for a question set's follow-ups in the survey DM (bot/services/question_sets.py):
a button, a menu or a typed answer, recorded once and shown in the same message."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond

from blocks.catalog import t
from blocks.ids import FOLLOW_UP_ACTION, ActionId
from blocks.question_sets import followup_blocks
from blocks.questions import survey_message
from bot.core.runtime import Runtime
from bot.domain.cards import SurveyCard
from bot.domain.exit_survey import EXIT_KIND
from bot.domain.outcomes import TapOutcome
from bot.services import advocacy, exit_survey, followups, question_sets, shared_surveys, taps
from bot.services.survey_messages import update_survey_message
from handlers.context import parse_int
from handlers.slack.listeners import after_ack
from handlers.slack.payloads import BlockAction
from storage.models import Invitation

log = logging.getLogger(__name__)
NOTES = {TapOutcome.NOT_YOURS: "note.not_yours", TapOutcome.ANSWERED: "note.answered"}


def register(app: AsyncApp) -> None:
    app.action(FOLLOW_UP_ACTION)(after_ack(on_follow_up))


async def with_followups(
    rt: Runtime, invitation: Invitation, card: SurveyCard, blocks: list[dict]
) -> list[dict]:
    """The survey message's blocks with the set's follow-ups under the answer."""
    shown = await question_sets.card(rt, invitation, card.locale, rt.now())
    extra = followup_blocks(shown)
    return blocks[:2] + extra + blocks[2:] if extra else blocks


async def on_follow_up(rt: Runtime, action: BlockAction, respond: AsyncRespond) -> None:
    parsed = _answer(action)
    if parsed is None:
        return
    invitation_id, set_id, key, value = parsed
    outcome, invitation, shown = await question_sets.answer(
        rt,
        invitation_id=invitation_id,
        set_id=set_id,
        key=key,
        value=value,
        user_id=action.user_id,
        now=rt.now(),
    )
    if outcome is not TapOutcome.RECORDED or invitation is None:
        note = NOTES.get(outcome, "note.closed")
        await respond(
            text=t(action.user.locale, note), response_type="ephemeral", replace_original=False
        )
        return
    if invitation.kind == EXIT_KIND:  # the exit DM: its reasons, then the follow-ups
        locale = shown.locale if shown else None
        blocks = await exit_survey.answered_message(rt, invitation, locale)
        await update_survey_message(rt, invitation, blocks, locale=locale)
        return
    _, card = await taps.answered_card(rt, invitation_id=invitation_id, user_id=None)
    if card is None:
        return
    offers = await advocacy.offers_for(rt, invitation_id)
    if shared_surveys.is_shared(invitation):  # their private copy, replaced in place
        blocks = await shared_surveys.private_blocks(rt, card, offers=offers)
        text = t(card.locale, "shared.private")
        await respond(blocks=blocks, text=text, response_type="ephemeral", replace_original=True)
        return
    chain = await followups.chain_card(rt, invitation)
    blocks = survey_message(card, chain=chain, offers=offers, review_url=rt.settings.review_url)
    blocks = await with_followups(rt, invitation, card, blocks)
    await update_survey_message(rt, invitation, blocks, locale=card.locale)


def _answer(action: BlockAction) -> tuple[int, int, str, str] | None:
    """(invitation, set version, question key, value) from a follow-up's button, menu or
    text box; None (logged) when it is not that."""
    if action.action_id.startswith(ActionId.FOLLOW_UP_TEXT_PREFIX):
        ids = action.action_id.removeprefix(ActionId.FOLLOW_UP_TEXT_PREFIX).split(".", 2)
        parts = [*ids, action.value]
    else:
        parts = (action.selected or action.value).split(":", 3)
    if len(parts) != 4 or parse_int(parts[0]) is None or parse_int(parts[1]) is None:
        log.warning("follow-up with an unexpected value", extra={"action": action.action_id[:60]})
        return None
    return parse_int(parts[0]) or 0, parse_int(parts[1]) or 0, parts[2], parts[3]
