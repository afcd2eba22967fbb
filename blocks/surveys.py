"""Block Kit for the survey DM, its later states, and the comment modal."""

from __future__ import annotations

import json
from functools import lru_cache

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from blocks.catalog import question, t
from blocks.ids import ActionId, BlockId, CallbackId
from blocks.text import quote
from bot.domain.cards import SurveyCard
from bot.domain.scales import scale_for

COMMENT_MAX = 3000


def survey_text(card: SurveyCard) -> str:
    """The notification text of the survey message (shown where blocks are not)."""
    return card.question or question(card.locale, card.kind, card.trigger)


def survey_blocks(card: SurveyCard) -> list[Block]:
    """The unanswered survey: the question, one button per score, and the opt-out."""
    return [
        SectionBlock(text=MarkdownTextObject(text=f"*{survey_text(card)}*")),
        *rating_blocks(card),
        ActionsBlock(block_id=BlockId.SURVEY_ACTIONS, elements=[opt_out_button(card)]),
    ]


def rating_blocks(card: SurveyCard) -> list[Block]:
    """One button per score of the card's scale, and the legend under them."""
    scale = scale_for(card.kind)
    buttons = [
        ButtonElement(
            text=str(score),
            action_id=f"{ActionId.RATE_PREFIX}{score}",
            value=f"{card.invitation_id}:{score}",
        )
        for score in scale.scores
    ]
    legend = t(
        card.locale,
        "survey.legend",
        low=scale.low,
        high=scale.high,
        low_label=t(card.locale, f"scale.{card.kind}.low"),
        high_label=t(card.locale, f"scale.{card.kind}.high"),
    )
    return [
        ActionsBlock(block_id=BlockId.RATING, elements=buttons),
        ContextBlock(elements=[MarkdownTextObject(text=legend)]),
    ]


def answer_text(card: SurveyCard) -> str:
    """ "Thank you! Your answer: *4* (out of 5)." for an answered card."""
    return t(card.locale, "survey.answered", score=card.score, label=_score_label(card))


def answered_blocks(card: SurveyCard) -> list[Block]:
    """The same message after the tap: the chosen score, and "Tell us why" until a comment."""
    assert card.score is not None
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=f"*{survey_text(card)}*")),
        SectionBlock(block_id=BlockId.RATING, text=MarkdownTextObject(text=answer_text(card))),
    ]
    if card.comment is None:
        blocks.append(
            ActionsBlock(
                block_id=BlockId.SURVEY_ACTIONS,
                elements=[
                    ButtonElement(
                        text=t(card.locale, "survey.tell_why"),
                        action_id=ActionId.TELL_WHY,
                        value=str(card.invitation_id),
                        style="primary",
                    ),
                    opt_out_button(card),
                ],
            )
        )
        blocks.append(
            ContextBlock(elements=[PlainTextObject(text=t(card.locale, "survey.tell_why.hint"))])
        )
    else:
        said = t(card.locale, "survey.commented") + "\n" + quote(card.comment)
        blocks.append(SectionBlock(block_id=BlockId.COMMENT, text=MarkdownTextObject(text=said)))
    return blocks


def closed_blocks(card: SurveyCard, *, reason: str) -> list[Block]:
    """A survey that can no longer be answered; `reason` is `expired` or `opted_out`."""
    return [
        SectionBlock(text=MarkdownTextObject(text=f"*{survey_text(card)}*")),
        ContextBlock(elements=[PlainTextObject(text=t(card.locale, f"survey.{reason}"))]),
    ]


def reminder_text(locale: str | None) -> str:
    return t(locale, "survey.reminder")


def comment_modal(card: SurveyCard) -> View:
    """The modal behind "Tell us why": one optional, multi-line answer."""
    return survey_modal(
        card,
        callback_id=CallbackId.COMMENT_MODAL,
        title=t(card.locale, "modal.title"),
        blocks=[
            comment_input(
                block_id=BlockId.COMMENT,
                action_id=ActionId.COMMENT_INPUT,
                label=t(card.locale, "modal.label"),
                placeholder=t(card.locale, "modal.placeholder"),
                max_length=COMMENT_MAX,
            )
        ],
    )


def survey_modal(card: SurveyCard, *, callback_id: str, title: str, blocks: list[Block]) -> View:
    """A modal about one survey: its invitation in `private_metadata`, buttons in its language."""
    return View(
        type="modal",
        callback_id=callback_id,
        private_metadata=str(card.invitation_id),
        title=PlainTextObject(text=title),
        submit=PlainTextObject(text=t(card.locale, "modal.submit")),
        close=PlainTextObject(text=t(card.locale, "modal.close")),
        blocks=blocks,
    )


def comment_input(
    *, block_id: str, action_id: str, label: str, placeholder: str, max_length: int
) -> InputBlock:
    """An optional, multi-line answer in the respondent's own words."""
    return InputBlock(
        block_id=block_id,
        optional=True,
        label=PlainTextObject(text=label),
        element=PlainTextInputElement(
            action_id=action_id,
            multiline=True,
            max_length=max_length,
            placeholder=PlainTextObject(text=placeholder),
        ),
    )


def _score_label(card: SurveyCard) -> str:
    scale = scale_for(card.kind)
    if card.score == scale.low:
        return t(card.locale, f"scale.{card.kind}.low")
    if card.score == scale.high:
        return t(card.locale, f"scale.{card.kind}.high")
    return t(card.locale, "scale.out_of", high=scale.high)


def opt_out_button(card: SurveyCard) -> ButtonElement:
    return ButtonElement(
        text=t(card.locale, "survey.opt_out"),
        action_id=ActionId.OPT_OUT,
        value=str(card.invitation_id),
        confirm=ConfirmObject(
            title=t(card.locale, "survey.opt_out.confirm_title"),
            text=t(card.locale, "survey.opt_out.confirm_text"),
            confirm=t(card.locale, "survey.opt_out.confirm_yes"),
            deny=t(card.locale, "survey.opt_out.confirm_no"),
        ),
    )


def survey_json(card: SurveyCard) -> list[dict]:
    """`survey_blocks` serialised, from a cache: every send of a campaign looks the same."""
    template = _survey_template(card.kind, card.trigger, card.locale, card.question)
    return _fill(template, card.invitation_id)


def answered_json(card: SurveyCard) -> list[dict]:
    """`answered_blocks` serialised; cached while there is no comment (the tap's hot path)."""
    if card.comment is not None:
        return to_dicts(answered_blocks(card))
    template = _answered_template(card.kind, card.trigger, card.locale, card.score, card.question)
    return _fill(template, card.invitation_id)


# A stand-in id that cannot collide with the rest of the JSON, swapped for the real one.
_PLACEHOLDER = 987_654_321_987_654


@lru_cache(maxsize=512)
def _survey_template(kind: str, trigger: str, locale: str | None, wording: str | None) -> str:
    card = SurveyCard(_PLACEHOLDER, kind, trigger, locale, question=wording)
    return json.dumps(to_dicts(survey_blocks(card)))


@lru_cache(maxsize=2048)
def _answered_template(
    kind: str, trigger: str, locale: str | None, score: int | None, wording: str | None
) -> str:
    card = SurveyCard(_PLACEHOLDER, kind, trigger, locale, score, question=wording)
    return json.dumps(to_dicts(answered_blocks(card)))


def _fill(template: str, invitation_id: int) -> list[dict]:
    return json.loads(template.replace(str(_PLACEHOLDER), str(invitation_id)))


def to_dicts(blocks: list[Block]) -> list[dict]:
    """Serialise blocks; slack-sdk raises here when an element is over Slack's limits."""
    if len(blocks) > 50:
        raise ValueError(f"{len(blocks)} blocks in one message; Slack allows 50")
    return [block.to_dict() for block in blocks]
