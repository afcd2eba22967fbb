"""Block Kit for a question set's follow-ups (bot/domain/question_sets.py), shown in the
survey message under the score once it is tapped: each question with its answer, or the
buttons, menu or text box to answer it. All optional."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.models.blocks.basic_components import DispatchActionConfig
from slack_sdk.models.views import View

from blocks.catalog import t
from blocks.ids import ActionId, VocId
from blocks.text import escape, quote, shorten
from bot.domain.question_sets import (
    EXIT_METRIC,
    TEXT_MAX,
    FollowUp,
    FollowUpCard,
    QuestionSet,
    QuestionType,
)
from bot.domain.question_text import fill
from bot.domain.survey_templates import TEMPLATES


def followup_blocks(card: FollowUpCard | None) -> list[dict]:
    """The follow-ups as blocks; [] when the survey has none."""
    if card is None or not card.qset.follow_ups:
        return []
    blocks: list[Block] = [
        ContextBlock(elements=[PlainTextObject(text=t(card.locale, "followup.set.intro"))])
    ]
    for question in card.qset.follow_ups:
        blocks.extend(_question(card, question))
    return [block.to_dict() for block in blocks]


def question_words(card: FollowUpCard, question: FollowUp, *, escaped: bool = True) -> str:
    """The question, `{product}` filled in (escaped for Slack unless `escaped` is False)."""
    values = {"product": card.product or "our product"}
    return fill(question.words(card.locale), values, escape=escape if escaped else str)


def _question(card: FollowUpCard, question: FollowUp) -> list[Block]:
    words = f"*{question_words(card, question)}*"
    answered = card.answers.get(question.key)
    if answered is not None:
        said = quote(question.label(answered, card.locale))
        return [SectionBlock(text=MarkdownTextObject(text=f"{words}\n{said}"))]
    base = f"{card.invitation_id}:{card.qset.set_id}:{question.key}"
    action = f"{ActionId.FOLLOW_UP_PREFIX}{card.qset.set_id}.{question.key}"
    if question.type is QuestionType.TEXT:
        box = PlainTextInputElement(
            action_id=f"{ActionId.FOLLOW_UP_TEXT_PREFIX}{base.replace(':', '.')}",
            placeholder=t(card.locale, "followup.set.text_hint"),
            max_length=TEXT_MAX,
            dispatch_action_config=DispatchActionConfig(trigger_actions_on=["on_enter_pressed"]),
        )
        label = question_words(card, question, escaped=False)
        return [InputBlock(label=label[:2000], element=box, dispatch_action=True, optional=True)]
    choices = question.choices(card.locale)
    if question.type is QuestionType.CHOICE:
        menu = StaticSelectElement(
            action_id=action,
            placeholder=PlainTextObject(text=t(card.locale, "followup.set.choose")),
            options=[Option(text=label, value=f"{base}:{value}") for value, label in choices],
        )
        return [SectionBlock(text=MarkdownTextObject(text=words), accessory=menu)]
    buttons = [
        ButtonElement(text=label, action_id=f"{action}.{value}", value=f"{base}:{value}")
        for value, label in choices
    ]
    return [SectionBlock(text=MarkdownTextObject(text=words)), ActionsBlock(elements=buttons)]


TYPE_WORDS = {
    QuestionType.CHOICE: "choice",
    QuestionType.YES_NO: "yes/no",
    QuestionType.RATING: "rating 1–5",
    QuestionType.TEXT: "short text",
}


def set_line(qset: QuestionSet) -> str:
    """One line of `surveys list`: name, trigger, metric, follow-ups and version."""
    keys = ", ".join(q.key for q in qset.follow_ups) or "no follow-ups"
    version = f" v{qset.version}" if qset.version else ""
    return f"{qset.name}{version}: {qset.trigger}, {qset.metric.upper()} + {keys}"


def set_preview(qset: QuestionSet, *, product: str | None = None) -> str:
    """The set as a respondent meets it, in English and Malay (`surveys show`, the modal)."""
    lines = [set_line(qset)]
    if qset.template:
        lines.append(f"  template: {qset.template}")
    if qset.metric == EXIT_METRIC:
        lines.append("  1. Why they are leaving: the exit survey's reasons and comment")
    else:
        lines.append(f"  1. {qset.metric.upper()} score (the core question, stored at the tap)")
    for n, question in enumerate(qset.follow_ups, start=2):
        card = FollowUpCard(0, qset, "en", product=product)
        lines.append(
            f"  {n}. [{question.key}, {TYPE_WORDS[question.type]}] "
            + question_words(card, question, escaped=False)
        )
        if "ms" in question.text:
            malay = FollowUpCard(0, qset, "ms", product=product)
            lines.append(f"     ms: {question_words(malay, question, escaped=False)}")
        for value, label in question.choices("en") if question.type is QuestionType.CHOICE else ():
            lines.append(f"     {value}) {label}")
    return "\n".join(lines)


def survey_modal(sets: list[QuestionSet], written: str, *, product: str | None) -> View:
    """`/voc survey`: every set previewed, the built-in templates to switch on, and the sets
    as YAML to change (a set left out is switched off; each change is a new version)."""
    preview = "\n\n".join(set_preview(s, product=product) for s in sets) or "No question sets yet."
    templates = [Option(text=name.replace("_", " "), value=name) for name in TEMPLATES]
    return View(
        type="modal",
        callback_id=VocId.SURVEY_MODAL,
        title=PlainTextObject(text="Surveys"),
        submit=PlainTextObject(text="Save"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=f"```{shorten(preview, 2900)}```")),
            InputBlock(
                block_id=VocId.SURVEY_TEMPLATES,
                label="Switch on built-in templates",
                optional=True,
                element=StaticMultiSelectElement(
                    action_id=VocId.SURVEY_TEMPLATES,
                    placeholder="Choose templates",
                    options=templates,
                ),
            ),
            InputBlock(
                block_id=VocId.SURVEY_DEFINITION,
                label="Question sets (YAML, as in SURVEYS_FILE)",
                optional=True,
                hint="Each change is saved as a new version; answers keep the version they "
                "were asked in.",
                element=PlainTextInputElement(
                    action_id=VocId.SURVEY_DEFINITION,
                    multiline=True,
                    initial_value=written[:3000] or None,
                    max_length=3000,
                ),
            ),
        ],
    )


def page_fields(card: FollowUpCard | None) -> dict[str, object] | None:
    """The follow-ups as the email survey page's form shows them (the page escapes them)."""
    if card is None or not card.qset.follow_ups:
        return None
    questions = [
        {
            "key": q.key,
            "type": q.type.value,
            "words": question_words(card, q, escaped=False),
            "choices": list(q.choices(card.locale)),
        }
        for q in card.qset.follow_ups
        if q.key not in card.answers
    ]
    return {"set_id": card.qset.set_id, "questions": questions, "text_max": TEXT_MAX}
