"""Block Kit for a survey asked in a shared (Slack Connect) channel: never anyone's score."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from blocks.catalog import question, t
from blocks.ids import ActionId, BlockId
from blocks.surveys import to_dicts
from bot.domain.cards import SharedSurveyCard
from bot.domain.scales import scale_for

MAX_PEOPLE = 30  # people addressed by one post; a button's value holds their invitation ids


def shared_survey_text(card: SharedSurveyCard) -> str:
    """The notification text: the question, never a score."""
    return card.question or question(card.locale, card.kind, card.trigger)


def shared_survey_blocks(card: SharedSurveyCard) -> list[dict]:
    """The channel post: the people asked, the buttons (until closed), how many answered."""
    people = ", ".join(f"<@{person}>" for person in card.people)
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=f"*{shared_survey_text(card)}*")),
        SectionBlock(text=MarkdownTextObject(text=t(card.locale, "shared.asked", people=people))),
    ]
    asked = len(card.invitation_ids)
    if card.closed:
        status = t(card.locale, "shared.closed", answered=card.answered, asked=asked)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=status)]))
        return to_dicts(blocks)
    blocks.append(ActionsBlock(block_id=BlockId.RATING, elements=_buttons(card)))
    scale = scale_for(card.kind)
    legend = t(
        card.locale,
        "survey.legend",
        low=scale.low,
        high=scale.high,
        low_label=t(card.locale, f"scale.{card.kind}.low"),
        high_label=t(card.locale, f"scale.{card.kind}.high"),
    )
    count = t(card.locale, "shared.count", answered=card.answered, asked=asked)
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"{legend}\n{count}")]))
    return to_dicts(blocks)


def rating_value(invitation_ids: tuple[int, ...], score: int) -> str:
    """A shared button's value: every invitation the post asks, then the score."""
    return ",".join(str(i) for i in invitation_ids) + f":{score}"


def parse_rating_value(value: str) -> tuple[list[int], int] | None:
    """The invitation ids and the score of a shared button; None when malformed."""
    ids_text, _, score_text = value.partition(":")
    try:
        ids = [int(part) for part in ids_text.split(",") if part]
        score = int(score_text)
    except ValueError:
        return None
    return (ids, score) if ids else None


def _buttons(card: SharedSurveyCard) -> list[ButtonElement]:
    return [
        ButtonElement(
            text=str(score),
            action_id=f"{ActionId.SHARED_RATE_PREFIX}{score}",
            value=rating_value(card.invitation_ids, score),
        )
        for score in scale_for(card.kind).scores
    ]
