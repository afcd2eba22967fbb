"""Block Kit for the exit survey: the DM, its modal (reasons and a comment), the thanks, and
the CSM's copy of the answer."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from blocks.catalog import t
from blocks.ids import ActionId, BlockId, CallbackId
from blocks.surveys import comment_input, survey_modal, survey_text
from blocks.text import escape, quote, shorten
from bot.domain.cards import SurveyCard
from bot.domain.exit_survey import COMMENT_MAX, ExitNotice, ExitReason

NAME_MAX = 80
COMMENT_QUOTED = 2500  # a section holds 3000 characters


def reason_label(locale: str | None, reason: ExitReason) -> str:
    return t(locale, f"exit.reason.{reason.value}")


def exit_blocks(card: SurveyCard) -> list[Block]:
    """The unanswered exit survey: the question, why we ask, and the button to answer."""
    return [
        SectionBlock(text=MarkdownTextObject(text=f"*{survey_text(card)}*")),
        ContextBlock(elements=[PlainTextObject(text=t(card.locale, "exit.intro"))]),
        ActionsBlock(
            block_id=BlockId.EXIT_ACTIONS,
            elements=[
                ButtonElement(
                    text=t(card.locale, "exit.open"),
                    action_id=ActionId.EXIT_OPEN,
                    value=str(card.invitation_id),
                    style="primary",
                )
            ],
        ),
    ]


def exit_modal(card: SurveyCard) -> View:
    """The reasons to choose (several) and an optional comment."""
    options = [
        Option(value=reason.value, label=reason_label(card.locale, reason)) for reason in ExitReason
    ]
    return survey_modal(
        card,
        callback_id=CallbackId.EXIT_MODAL,
        title=t(card.locale, "exit.modal.title"),
        blocks=[
            InputBlock(
                block_id=BlockId.EXIT_REASONS,
                label=PlainTextObject(text=t(card.locale, "exit.modal.reasons")),
                element=CheckboxesElement(action_id=ActionId.EXIT_REASONS, options=options),
            ),
            comment_input(
                block_id=BlockId.EXIT_COMMENT,
                action_id=ActionId.EXIT_COMMENT,
                label=t(card.locale, "exit.modal.comment"),
                placeholder=t(card.locale, "exit.modal.placeholder"),
                max_length=COMMENT_MAX,
            ),
        ],
    )


def answered_blocks(
    card: SurveyCard, reasons: tuple[ExitReason, ...], comment: str | None
) -> list[Block]:
    """The same DM once answered: the thanks and what they chose."""
    chosen = ", ".join(reason_label(card.locale, reason) for reason in reasons)
    said = t(card.locale, "exit.your_reasons", reasons=chosen)
    if comment:
        said += "\n" + quote(comment)
    return [
        SectionBlock(text=MarkdownTextObject(text=f"*{survey_text(card)}*")),
        SectionBlock(text=MarkdownTextObject(text=said)),
        ContextBlock(elements=[PlainTextObject(text=t(card.locale, "exit.thanks"))]),
    ]


def exit_reminder_text(locale: str | None) -> str:
    """The one reminder of an unanswered exit survey (not "one tap": it is a short form)."""
    return t(locale, "exit.reminder")


def need_reason_error(locale: str | None) -> dict[str, str]:
    """The modal's error when no reason was chosen."""
    return {BlockId.EXIT_REASONS: t(locale, "exit.need_reason")}


def notice_text(notice: ExitNotice) -> str:
    """One line for the CSM's notification."""
    who = escape(shorten(notice.contact, NAME_MAX))
    return f"Exit survey: {who} ({escape(shorten(notice.account, NAME_MAX))}) told us why they left"


def notice_blocks(notice: ExitNotice) -> list[Block]:
    """The answer for the account's CSM (in English, like the #voc cards)."""
    reasons = ", ".join(reason_label(None, reason) for reason in notice.reasons)
    lines = [f"*{notice_text(notice)}*", f"*Reasons:* {escape(reasons)}"]
    lines.append(quote(notice.comment, COMMENT_QUOTED) if notice.comment else "_No comment._")
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text="\n".join(lines)))]
    if notice.csm_user_id is None:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text="This account has no CSM: set one with the contacts import (csm)."
                    )
                ]
            )
        )
    return blocks
