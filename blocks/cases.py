"""Block Kit for the follow-up case card in #voc (an unhappy answer's, or an account
health case's), its modal and its escalation replies."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from blocks.catalog import DEFAULT_LOCALE, t
from blocks.health import health_case_text, score_line, signed
from blocks.ids import ActionId, BlockId, CallbackId
from blocks.reading import reading_line
from blocks.surveys import to_dicts
from blocks.text import escape, quote, shorten, synced_text
from bot.domain.cards import CaseCard
from bot.domain.health import health_band
from bot.domain.outcomes import FOLLOW_UP_NOTE_MAX, FOLLOW_UP_OUTCOMES
from bot.domain.scales import category
from bot.domain.vocabulary import CaseReview

__all__ = [
    "case_blocks",
    "case_text",
    "claim_refused_text",
    "escalation_text",
    "follow_up_modal",
    "to_dicts",
]

NOTE_MAX = FOLLOW_UP_NOTE_MAX
_SECTION_MAX = 3000
_FIELD_VALUE_MAX = 600  # escaped characters per value; a field holds at most two values
_NAME_MAX = 200
_HEALTH = {
    "green": ":large_green_circle:",
    "yellow": ":large_yellow_circle:",
    "red": ":red_circle:",
}
_UNKNOWN = "—"
_TEAM_LOCALE = DEFAULT_LOCALE  # the #voc cards speak the team's language, English so far


def case_text(card: CaseCard) -> str:
    """The notification text of the card, e.g. "NPS 3 from Ana (Acme): needs a follow-up",
    or "Health of Acme fell to 35 (−20): needs a follow-up" for a health case."""
    if card.is_health:
        return health_case_text(card.account_name, card.score, card.score_change)
    who = _erased_person() if card.erased else card.contact_name or card.contact_email
    who = _fit(who, _NAME_MAX, _escaped)
    account = _fit(card.account_name, _NAME_MAX, _escaped)
    need = "support manager review" if _is_support(card) else "needs a follow-up"
    return f"{card.kind.upper()} {card.score} from {who} ({account}): {need}"


def case_blocks(card: CaseCard, *, now: datetime) -> list[Block]:
    """The card: header, account facts, the comment, who owns it, and what can be done."""
    blocks: list[Block] = [HeaderBlock(text=_headline(card))]
    if _is_support(card):
        label = f":rotating_light: *Support manager review*: low {card.kind.upper()}"
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=label)]))
    blocks.append(SectionBlock(fields=_fields(card, now)))
    if card.is_health:
        blocks.append(_why(card))
    else:
        blocks.append(_erased(card) if card.erased else _comment(card))
    blocks.append(SectionBlock(text=MarkdownTextObject(text=_status(card))))
    blocks.append(ContextBlock(elements=_history(card)))
    blocks.append(ActionsBlock(block_id=BlockId.CASE_ACTIONS, elements=_buttons(card)))
    return blocks


def follow_up_modal(card: CaseCard) -> View:
    """The modal behind "Log follow-up": a required outcome and a required note."""
    return View(
        type="modal",
        callback_id=CallbackId.FOLLOW_UP_MODAL,
        private_metadata=str(card.case_id),
        title=PlainTextObject(text="Log follow-up"),
        submit=PlainTextObject(text="Save"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            ContextBlock(elements=[MarkdownTextObject(text=case_text(card))]),
            InputBlock(
                block_id=BlockId.OUTCOME,
                label=PlainTextObject(text="Outcome"),
                element=_outcome_select(card.outcome),
            ),
            InputBlock(
                block_id=BlockId.NOTE,
                label=PlainTextObject(text="Note"),
                element=PlainTextInputElement(
                    action_id=ActionId.NOTE_INPUT,
                    multiline=True,
                    max_length=NOTE_MAX,
                    placeholder=PlainTextObject(text="What happened, and what's next?"),
                    initial_value=card.note[:NOTE_MAX] if card.note else None,
                ),
            ),
        ],
    )


def escalation_text(
    card: CaseCard,
    *,
    step: int,
    max_steps: int,
    mention: str | None,
    overdue_by: timedelta,
    others: Sequence[str] = (),
) -> str:
    """The thread reply on an overdue card; `overdue_by` is the time since the answer.

    `others` are mentioned too (e.g. every support manager of a low CSAT or CES case).
    """
    hours = int(overdue_by.total_seconds() // 3600)
    since = "the health case opened" if card.is_health else "the answer"
    when = f"Reminder {step} of {max_steps}: no follow-up logged {hours}h after {since}."
    if mention is None:
        return (
            f"{when} Nobody owns this and the account has no CSM: "
            "could someone *Claim* it and *Log follow-up* once you've talked to the customer?"
        )
    if card.claimed_by is not None:
        ask = "You claimed this case: please *Log follow-up* with the outcome."
    elif card.review == CaseReview.SUPPORT and others:
        ask = "This support case is unclaimed: please *Claim* it or *Log follow-up*."
    else:
        ask = "This case on your account is unclaimed: please *Claim* it or *Log follow-up*."
    who = " ".join(_user(user) for user in (mention, *others))
    return f"{who} {when} {ask}"


def claim_refused_text(owner: str) -> str:
    """The ephemeral answer to a Claim on a case someone else already owns."""
    return (
        f"{_user(owner)} already owns this follow-up. Ask them in the card's thread, "
        "or use *Log follow-up* to record what you did."
    )


def _headline(card: CaseCard) -> str:
    if card.is_health:
        moved = f" · {signed(card.score_change)}" if card.score_change else ""
        return f"Health {card.score}{moved} · {health_band(card.score)}"
    words = "Support review" if _is_support(card) else category(card.kind, card.score).title()
    return f"{card.kind.upper()} {card.score} · {words}"


def _is_support(card: CaseCard) -> bool:
    return card.review == "support"


def _fields(card: CaseCard, now: datetime) -> list[MarkdownTextObject]:
    contact = _value(card.contact_email)
    if card.contact_name:
        contact = f"{_value(card.contact_name)}\n{contact}"
    if card.erased:
        contact = f"_{escape(_erased_person())}_"
    score = str(card.score)
    if card.previous_score is not None:
        score += f" (was {card.previous_score})"
    account = _value(card.account_name)
    if card.synced is not None:
        account += f"\n_{synced_text(card.synced)}_"
    facts = {
        "Account": account,
        "Segment": _value(card.segment),
        "ARR": _UNKNOWN if card.arr is None else f"${card.arr:,.0f}",
        "Plan": _value(card.plan),
        "Tenure": _UNKNOWN if card.customer_since is None else _tenure(card.customer_since, now),
        "CSM": _user(card.csm_user_id) if card.csm_user_id else "not set",
        "Health": _health_field(card),
        "Score": score,
        "Contact": contact,
    }
    if card.is_health:  # no answer, no contact: the score is the headline's
        del facts["Score"], facts["Contact"]
    return [MarkdownTextObject(text=f"*{label}*\n{value}") for label, value in facts.items()]


def _tenure(since: date, now: datetime) -> str:
    """How long the account has been a customer: "2 yr 3 mo", "5 mo" or "new"."""
    today = now.date()
    months = (today.year - since.year) * 12 + today.month - since.month
    months -= 1 if today.day < since.day else 0
    if months < 1:
        return "new"
    years, months = divmod(months, 12)
    parts = ([f"{years} yr"] if years else []) + ([f"{months} mo"] if months else [])
    return " ".join(parts)


def _health_field(card: CaseCard) -> str:
    """The score with its arrow, and the imported label beside it as "CRM"."""
    if card.health_score is None:
        return _health(card.health)
    shown = score_line(card.health_score, card.health_change)
    return f"{shown}\nCRM: {_health(card.health)}" if card.health else shown


def _health(health: str | None) -> str:
    if not health:
        return _UNKNOWN
    emoji = _HEALTH.get(health.lower())
    name = _value(health).capitalize()
    return f"{emoji} {name}" if emoji else name


def _erased_person() -> str:
    return t(_TEAM_LOCALE, "case.erased.person")


def _erased(card: CaseCard) -> Block:
    """In place of the comment: the person's details were erased at their request."""
    said = t(_TEAM_LOCALE, "case.erased", kind=card.kind.upper())
    return ContextBlock(elements=[MarkdownTextObject(text=f":lock: {escape(said)}")])


def _why(card: CaseCard) -> Block:
    """A health case's explanation: the components that moved the score most, in words."""
    if not card.why or not card.why.strip():
        return ContextBlock(elements=[PlainTextObject(text="No explanation: no score last week")])
    heading = "*Why*\n"
    why = _fit(card.why, _SECTION_MAX - len(heading), _escaped)
    return SectionBlock(text=MarkdownTextObject(text=heading + why))


def _comment(card: CaseCard) -> Block:
    if card.comment is None or not card.comment.strip():
        return ContextBlock(elements=[PlainTextObject(text="No comment yet")])
    heading = "*Comment*\n"
    reading = reading_line(card.comment)
    said = _fit(card.comment, _SECTION_MAX - len(heading) - len(reading or "") - 1, quote)
    return SectionBlock(text=MarkdownTextObject(text=f"{heading}{said}\n{reading}"))


def _status(card: CaseCard) -> str:
    lines: list[str] = []
    if card.claimed_by:
        lines.append(f"Claimed by {_user(card.claimed_by)}" + _at(card.claimed_at))
    else:
        lines.append("Unclaimed: claim it to own the follow-up")
    if card.outcome:
        outcome = FOLLOW_UP_OUTCOMES.get(card.outcome) or _value(card.outcome)
        by = f" by {_user(card.logged_by)}" if card.logged_by else ""
        lines.append(f"Follow-up logged{by}: *{outcome}*" + _at(card.logged_at))
    status = "\n".join(lines)
    if card.note and card.note.strip():
        status += "\n" + _fit(card.note, _SECTION_MAX - len(status) - 1, quote)
    return status


def _history(card: CaseCard) -> list[MarkdownTextObject]:
    opened = "Opened" if card.is_health else "Answered"
    elements = [MarkdownTextObject(text=f"{opened} {_time(card.answered_at)}")]
    if card.escalations > 0:
        times = "time" if card.escalations == 1 else "times"
        elements.append(MarkdownTextObject(text=f"Escalated {card.escalations} {times}"))
    if card.follow_ups > 1:
        elements.append(MarkdownTextObject(text=f"{card.follow_ups} follow-ups logged"))
    return elements


def _buttons(card: CaseCard) -> list[ButtonElement]:
    value = str(card.case_id)
    log = ButtonElement(text="Log follow-up", action_id=ActionId.LOG_FOLLOW_UP, value=value)
    if card.outcome is not None and card.outcome != "in_progress":
        return [log]
    if card.claimed_by:
        return [ButtonElement(text="Release", action_id=ActionId.RELEASE, value=value), log]
    claim = ButtonElement(text="Claim", action_id=ActionId.CLAIM, value=value, style="primary")
    return [claim, log]


def _outcome_select(outcome: str | None) -> StaticSelectElement:
    options = [Option(value=key, label=label) for key, label in FOLLOW_UP_OUTCOMES.items()]
    initial = next((option for option in options if option.value == outcome), None)
    return StaticSelectElement(
        action_id=ActionId.OUTCOME_SELECT,
        placeholder=PlainTextObject(text="Choose an outcome"),
        options=options,
        initial_option=initial,
    )


def _at(moment: datetime | None) -> str:
    return f" · {_time(moment)}" if moment else ""


def _time(moment: datetime) -> str:
    """A Slack date token shown in the reader's time zone, with a UTC fallback."""
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def _user(user_id: str) -> str:
    return f"<@{escape(user_id)}>"


def _value(text: str | None) -> str:
    return _fit(text, _FIELD_VALUE_MAX, _escaped) if text else _UNKNOWN


def _escaped(text: str, limit: int) -> str:
    return escape(shorten(text, limit))


def _fit(text: str, room: int, render: Callable[[str, int], str]) -> str:
    """The longest rendering of `text` (escaped, so longer than the raw text) within `room`."""
    limit = room
    while len(rendered := render(text, limit)) > room and limit > 1:
        # One raw character renders as at most five (`&` → `&amp;`): never cut too much at once.
        limit = max(1, limit - max(1, (len(rendered) - room) // 5))
    return rendered
