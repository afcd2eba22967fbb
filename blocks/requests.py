"""Block Kit for a request's lifecycle: "it's planned", "it's live", and "did it solve it?"."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from blocks.catalog import t
from blocks.text import escape, shorten
from bot.domain.figures import RequestOutcome

SOLVED_YES = "request.solved.yes"
SOLVED_NOT_QUITE = "request.solved.not_quite"
SOLVED_ACTIONS = "request.solved"
SOLVED_MODAL = "request.solved.modal"
SOLVED_COMMENT = "request.solved.comment"
SOLVED_COMMENT_INPUT = "request.solved.comment.input"
FEATURE_MAX = 200
COMMENT_MAX = 3000


def _feature(feature: str) -> str:
    return escape(shorten(feature, FEATURE_MAX))


def planned_text(feature: str, locale: str | None = None) -> str:
    """The DM: "You asked for X — it's planned", in the contact's language."""
    return t(locale, "plan.told", feature=_feature(feature))


def live_text(feature: str, url: str | None, locale: str | None = None) -> str:
    """The DM: "You asked for X — it's live", with "here's how to use it" when there is a link."""
    text = t(locale, "ship.live", feature=_feature(feature))
    if url:
        text += "\n" + t(locale, "ship.how_to", url=escape(url))
    return text


def question_text(feature: str, locale: str | None = None) -> str:
    return t(locale, "solved.question", feature=_feature(feature))


def question_blocks(notice_id: int, feature: str, locale: str | None = None) -> list[Block]:
    """The week-later question with Yes / Not quite buttons; the value is the notice id."""
    return [
        SectionBlock(text=MarkdownTextObject(text=question_text(feature, locale))),
        ActionsBlock(
            block_id=SOLVED_ACTIONS,
            elements=[
                ButtonElement(
                    text=t(locale, "solved.yes"),
                    action_id=SOLVED_YES,
                    value=str(notice_id),
                    style="primary",
                ),
                ButtonElement(
                    text=t(locale, "solved.not_quite"),
                    action_id=SOLVED_NOT_QUITE,
                    value=str(notice_id),
                ),
            ],
        ),
    ]


def answered_blocks(feature: str, answer: str, locale: str | None = None) -> list[Block]:
    """The question once answered: the buttons give way to the answer and a thank-you."""
    said = t(locale, "solved.yes" if answer == "yes" else "solved.not_quite")
    text = f"{question_text(feature, locale)}\n*{said}* · {t(locale, 'solved.thanks')}"
    return [SectionBlock(text=MarkdownTextObject(text=text))]


def not_quite_modal(metadata: str, locale: str | None = None) -> View:
    """ "Not quite": what is still missing, in the person's words (required)."""
    return View(
        type="modal",
        callback_id=SOLVED_MODAL,
        private_metadata=metadata,
        title=PlainTextObject(text=shorten(t(locale, "solved.not_quite"), 24)),
        submit=PlainTextObject(text=shorten(t(locale, "solved.send"), 24)),
        blocks=[
            InputBlock(
                block_id=SOLVED_COMMENT,
                label=PlainTextObject(text=t(locale, "solved.what_missing")),
                element=PlainTextInputElement(
                    action_id=SOLVED_COMMENT_INPUT, multiline=True, max_length=COMMENT_MAX
                ),
            )
        ],
    )


def plan_blocks(
    feature: str, newly: bool, sent: int, already: int, failed: dict[str, str]
) -> list[Block]:
    """What the admin sees after `/voc plan`."""
    state = "marked planned" if newly else "was already planned"
    lines = [f":calendar: *{_feature(feature)}* {state}. Told {sent} new people it's planned."]
    if already:
        lines.append(f"{already} had been told before.")
    if failed:
        refused = ", ".join(f"<@{user}> ({escape(error)})" for user, error in failed.items())
        lines.append(f"Slack refused {len(failed)}: {refused}")
    return [SectionBlock(text=MarkdownTextObject(text=shorten("\n".join(lines), 3000)))]


def outcome_blocks(outcomes: list[RequestOutcome]) -> list[Block]:
    """`/voc requests`' second part: shipped requests and whether they solved the need."""
    if not outcomes:
        return []
    lines = ["*Shipped: did it solve what they needed?*"]
    for outcome in outcomes:
        line = f"• *{_feature(outcome.name)}*"
        if outcome.asked == 0 and outcome.yes + outcome.not_quite == 0:
            line += " — not asked yet (customers are asked a week after it ships)"
        else:
            line += (
                f" — {outcome.yes} yes · {outcome.not_quite} not quite"
                f" · {outcome.asked - outcome.yes - outcome.not_quite} no answer yet"
            )
        for comment in outcome.comments[:3]:
            line += f"\n      “{escape(shorten(' '.join(comment.split()), 200))}”"
        lines.append(line)
    return [SectionBlock(text=MarkdownTextObject(text=shorten("\n".join(lines), 3000)))]
