"""Redrawing a survey's message in Slack: an answer, a follow-up, or no buttons left once
it closed. Delivery, taps and `forget` all redraw through here.

A survey asked in a shared channel is one post for many people, never redrawn with one
person's state (bot/services/shared_surveys.py keeps its count).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from blocks.surveys import closed_blocks, survey_text
from blocks.surveys import to_dicts as blocks_json
from bot.core.runtime import Runtime
from bot.core.slack import error_code
from bot.core.slack_errors import SlackError
from bot.domain.cards import SurveyCard
from bot.domain.vocabulary import DeliveryChannel

log = logging.getLogger(__name__)


def in_shared_channel(invitation: object) -> bool:
    return getattr(invitation, "channel", None) == DeliveryChannel.SLACK_CHANNEL


class SurveyMessage(Protocol):
    """What locates a survey DM: an Invitation, or a light row with the same columns."""

    id: int | None
    kind: str
    trigger: str
    dm_channel: str | None
    message_ts: str | None
    question: str | None  # the wording it was asked with, when not the catalog's


async def update_survey_message(
    rt: Runtime, invitation: SurveyMessage, blocks: list[dict], *, locale: str | None = None
) -> bool:
    """Replace the survey DM's blocks; False (logged) when Slack refuses.

    `locale` is the person's, so the notification text matches the blocks' language; the
    text asks the question the survey was sent with.

    A survey asked in a shared channel is never redrawn with one person's answer: its post
    shows only how many answered (bot/services/shared_surveys.py).
    """
    if not invitation.dm_channel or not invitation.message_ts or in_shared_channel(invitation):
        return False
    try:
        await rt.slack.chat_update(
            channel=invitation.dm_channel,
            ts=invitation.message_ts,
            blocks=blocks,
            text=survey_text(
                SurveyCard(
                    invitation.id or 0,
                    invitation.kind,
                    invitation.trigger,
                    locale,
                    question=invitation.question,
                )
            ),
        )
        return True
    except SlackError as exc:
        log.warning(
            "survey update failed",
            extra={"invitation_id": invitation.id, "slack_error": error_code(exc)},
        )
        return False


async def take_buttons_off(
    rt: Runtime, closed: Sequence[SurveyMessage], *, locale: str | None, reason: str
) -> int:
    """Redraw surveys closed without an answer (`reason`: `expired` or `opted_out`) so no
    button is left to tap; how many Slack took. Shared-channel posts are not one person's."""
    done = 0
    for invitation in closed:
        card = SurveyCard(
            invitation.id or 0,
            invitation.kind,
            invitation.trigger,
            locale,
            question=invitation.question,
        )
        blocks = blocks_json(closed_blocks(card, reason=reason))
        done += await update_survey_message(rt, invitation, blocks, locale=locale)
    return done
