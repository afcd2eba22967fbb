"""Block Kit for a survey message that asks more than one question (bot/domain/questions.py).

A closed ticket's DM shows the CSAT answered and the CES asked in place, then both answers
and "Tell us why". An NPS detractor's answered survey asks "what disappointed you most?"
with a menu of themes before the comment.
"""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)

from blocks.advocacy import answered_message
from blocks.catalog import t
from blocks.ids import ActionId, BlockId
from blocks.surveys import (
    answer_text,
    opt_out_button,
    rating_blocks,
    survey_text,
    to_dicts,
)
from blocks.text import quote
from bot.domain.cards import SurveyCard
from bot.domain.questions import THEME_CHOICES, ChainCard, asks_theme, theme_choice
from bot.domain.vocabulary import Theme


def survey_message(
    card: SurveyCard, *, chain: ChainCard | None, offers: list[str], review_url: str | None
) -> list[dict]:
    """The survey message after an answer, a theme choice or a comment."""
    if chain is not None:
        return chain_blocks(chain)
    blocks = answered_message(card, offers=offers, review_url=review_url)
    step = theme_blocks(card)
    return blocks[:2] + to_dicts(step) + blocks[2:] if step else blocks


def chain_blocks(chain: ChainCard) -> list[dict]:
    """Every question asked so far: answered ones with their answer, the open one with its
    buttons (or closed), then the comment or "Tell us why" about the first question."""
    blocks: list[Block] = []
    for card in chain.steps:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*{survey_text(card)}*")))
        if card.score is not None:
            answer = MarkdownTextObject(text=answer_text(card))
            blocks.append(SectionBlock(block_id=_answer_id(card), text=answer))
        elif chain.closed:
            note = t(card.locale, f"survey.{chain.closed}")
            blocks.append(ContextBlock(elements=[PlainTextObject(text=note)]))
        else:
            blocks.extend(rating_blocks(card))
    return to_dicts(blocks + _chain_footer(chain))


def _chain_footer(chain: ChainCard) -> list[Block]:
    first = chain.first
    if first.comment is not None:
        said = t(first.locale, "survey.commented") + "\n" + quote(first.comment)
        return [SectionBlock(block_id=BlockId.COMMENT, text=MarkdownTextObject(text=said))]
    if chain.closed:
        return []
    tell_why = ButtonElement(
        text=t(first.locale, "survey.tell_why"),
        action_id=ActionId.TELL_WHY,
        value=str(first.invitation_id),
        style="primary",
    )
    hint = t(first.locale, "survey.tell_why.hint")
    return [
        ActionsBlock(
            block_id=BlockId.SURVEY_ACTIONS, elements=[tell_why, opt_out_button(chain.last)]
        ),
        ContextBlock(elements=[PlainTextObject(text=hint)]),
    ]


def theme_blocks(card: SurveyCard) -> list[Block]:
    """A detractor's "what disappointed you most?": the menu until they choose or comment,
    then what they chose; nothing for anyone else."""
    if not asks_theme(card.kind, card.score):
        return []
    chosen = theme_choice(card.theme or "")
    if chosen is not None:
        said = t(card.locale, "followup.theme.chosen", theme=theme_label(card.locale, chosen))
        return [SectionBlock(block_id=BlockId.THEME, text=MarkdownTextObject(text=said))]
    if card.comment is not None:
        return []  # they went straight to the comment: the choice was optional
    menu = StaticSelectElement(
        action_id=ActionId.THEME_CHOICE,
        placeholder=PlainTextObject(text=t(card.locale, "followup.theme.placeholder")),
        options=[
            Option(text=theme_label(card.locale, theme), value=f"{card.invitation_id}:{theme}")
            for theme in THEME_CHOICES
        ],
    )
    question = f"*{t(card.locale, 'followup.theme.question')}*"
    return [
        SectionBlock(
            block_id=BlockId.THEME, text=MarkdownTextObject(text=question), accessory=menu
        ),
        ContextBlock(elements=[PlainTextObject(text=t(card.locale, "followup.theme.hint"))]),
    ]


def theme_label(locale: str | None, theme: Theme) -> str:
    """The respondent-facing name of a theme they can choose."""
    return t(locale, f"theme.{theme.name.lower()}")


def _answer_id(card: SurveyCard) -> str:
    return f"{BlockId.ANSWER_PREFIX}{card.invitation_id}"
