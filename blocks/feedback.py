"""Block Kit for logging feedback: the "Log feedback" modal, the theme editor, the confirmation."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    ExternalDataSelectElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from blocks.ids import VocId
from blocks.text import escape, quote, shorten
from bot.domain.records import AccountSummary
from bot.domain.reports import LoggedInsight
from bot.domain.voc_command import MODAL_TEXT_MAX, NAME_MAX
from bot.domain.vocabulary import InsightSource, InsightType, Sentiment, Theme

OPTION_TEXT_MAX = 75
SECTION_MAX = 3000

# surveys log themselves
SOURCES: list[InsightSource] = [s for s in InsightSource if s is not InsightSource.SURVEY]


def log_modal(metadata: str = "", insight_type: str | None = None) -> View:
    """The "Log feedback" modal; `metadata` carries where to confirm (private_metadata).

    Choosing a type redraws the modal (dispatch_action) with the field that type needs: a
    feature name for a feature request, the competitor for a competitor mention.
    """
    blocks: list[Block] = [
        InputBlock(
            block_id=VocId.ACCOUNT,
            label="Account",
            element=ExternalDataSelectElement(
                action_id=VocId.ACCOUNT,
                placeholder="Start typing the account name",
                min_query_length=1,
            ),
        ),
        _select(VocId.SOURCE, "Where did you hear it?", SOURCES, InsightSource.CALL),
        _select(VocId.TYPE, "What kind of feedback?", list(InsightType), insight_type),
        InputBlock(
            block_id=VocId.TEXT,
            label="What did they say? (their words)",
            element=PlainTextInputElement(
                action_id=VocId.TEXT, multiline=True, max_length=MODAL_TEXT_MAX
            ),
        ),
        _select(VocId.SENTIMENT, "Sentiment", list(Sentiment), None, optional=True),
    ]
    if insight_type == InsightType.FEATURE_REQUEST:
        blocks.append(
            _name_input(VocId.FEATURE, "Feature name", "e.g. SSO (blank: named by the text)")
        )
    if insight_type == InsightType.COMPETITOR:
        blocks.append(_name_input(VocId.COMPETITOR, "Competitor", "e.g. Zendesk", optional=False))
    return View(
        type="modal",
        callback_id=VocId.LOG_MODAL,
        private_metadata=metadata,
        title=PlainTextObject(text="Log feedback"),
        submit=PlainTextObject(text="Save"),
        close=PlainTextObject(text="Cancel"),
        blocks=blocks,
    )


def themes_modal(insight: LoggedInsight, metadata: str) -> View:
    """A small modal to change an insight's themes."""
    options = [_option(theme.value, theme.value) for theme in Theme]
    chosen = [o for o in options if o.value in insight.themes]
    return View(
        type="modal",
        callback_id=VocId.THEMES_MODAL,
        private_metadata=metadata,
        title=PlainTextObject(text="Edit themes"),
        submit=PlainTextObject(text="Save"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=fit_quote(insight.text, 1000))),
            InputBlock(
                block_id=VocId.THEMES,
                label="Themes",
                optional=True,
                element=StaticMultiSelectElement(
                    action_id=VocId.THEMES,
                    placeholder="Choose themes",
                    options=options,
                    initial_options=chosen or None,
                ),
            ),
        ],
    )


def account_options(accounts: list[AccountSummary]) -> list[dict[str, object]]:
    """Type-ahead answers: at most 100 options, names shortened to fit."""
    return [_option(a.name, str(a.id)).to_dict() for a in accounts[:100]]


def confirmation(insight: LoggedInsight, *, title: str = "Saved") -> list[Block]:
    """What the person who logged an insight sees, with a button to change its themes."""
    facts = [
        f"*{fit(insight.account, 200)}*",
        insight.type,
        f"via {insight.source}",
    ]
    if insight.sentiment:
        facts.append(insight.sentiment)
    if insight.feature:
        facts.append(f"feature: {fit(insight.feature, NAME_MAX)}")
    if insight.competitor:
        facts.append(f"competitor: {fit(insight.competitor, NAME_MAX)}")
    themes = ", ".join(insight.themes) or "none"
    return [
        SectionBlock(
            text=MarkdownTextObject(text=f":white_check_mark: {title}: " + " · ".join(facts))
        ),
        SectionBlock(text=MarkdownTextObject(text=fit_quote(insight.text, SECTION_MAX))),
        ContextBlock(elements=[MarkdownTextObject(text=f"Themes: {themes}")]),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Edit themes",
                    action_id=f"{VocId.EDIT_THEMES_PREFIX}{insight.id}",
                    value=str(insight.id),
                )
            ]
        ),
    ]


def confirmation_text(insight: LoggedInsight) -> str:
    """The notification text of the confirmation."""
    return f"Saved {insight.type} for {fit(insight.account, 200)}."


def fit(text: str, limit: int) -> str:
    """User text escaped for mrkdwn and at most `limit` characters once escaped."""
    shown = escape(shorten(text, limit))
    return shown if len(shown) <= limit else escape(shorten(text, limit // 5))


def fit_quote(text: str, limit: int) -> str:
    """User text as an escaped block quote of at most `limit` characters (quoting adds some)."""
    size = min(len(text), limit)
    while True:
        shown = quote(text, max(size, 1))
        if len(shown) <= limit:
            return shown
        size //= 2


def _select(
    block_id: str,
    label: str,
    values: list[InsightSource] | list[InsightType] | list[Sentiment],
    initial: str | None,
    *,
    optional: bool = False,
) -> InputBlock:
    options = [_option(v.value.capitalize(), v.value) for v in values]
    chosen = next((o for o in options if o.value == initial), None)
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=optional,
        dispatch_action=block_id == VocId.TYPE,  # choosing a type shows the field it needs
        element=StaticSelectElement(
            action_id=block_id, placeholder="Choose", options=options, initial_option=chosen
        ),
    )


def _name_input(
    block_id: str, label: str, placeholder: str, *, optional: bool = True
) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=optional,
        element=PlainTextInputElement(
            action_id=block_id, placeholder=placeholder, max_length=NAME_MAX
        ),
    )


def _option(text: str, value: str) -> Option:
    return Option(text=PlainTextObject(text=shorten(text, OPTION_TEXT_MAX)), value=value)
