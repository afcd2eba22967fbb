"""Account health in Slack: the case a drop opens in #voc, its reminders, and the score's
short forms on cards, App Home and `/voc account`."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from blocks.ids import ActionId
from blocks.text import escape, shorten
from bot.domain.health import health_band
from bot.domain.health_score import arrow
from bot.domain.records import AccountSummary
from bot.domain.usage import UsageReport

_NAME_MAX = 120


def score_line(score: int | None, change: int | None) -> str:
    """ "72 ↓ −9 (watch)"; "no score yet" without one."""
    if score is None:
        return "no score yet"
    moved = f" {arrow(change)} {_signed(change)}" if change else (" →" if change == 0 else "")
    return f"{score}{moved} ({health_band(score)})"


def _signed(change: int | None) -> str:
    if not change:
        return "0"
    return f"+{change}" if change > 0 else f"−{abs(change)}"


def health_case_text(account: str, score: int, change: int | None) -> str:
    """The notification: "Health of Acme fell to 35 (−20): needs a follow-up"."""
    moved = f" ({_signed(change)})" if change else ""
    name = escape(shorten(account, _NAME_MAX))
    return f"Health of {name} fell to {score}{moved}: needs a follow-up"


def health_case_blocks(
    account: str,
    score: int,
    change: int | None,
    why: str | None,
    owner: str | None,
    *,
    case_id: int | None = None,
    claimed_by: str | None = None,
) -> list[Block]:
    """The case card: the score, why it moved, its owner, and Claim / Done buttons."""
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=f"*{health_case_text(account, score, change)}*"))
    ]
    if why:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"Why: {escape(why)}")))
    who = (
        f"<@{claimed_by}> is on it"
        if claimed_by
        else (f"Owner: <@{owner}> (CSM)" if owner else "No CSM on this account: claim it")
    )
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=who)]))
    if case_id is not None:
        buttons = (
            []
            if claimed_by
            else [ButtonElement(text="Claim", action_id=ActionId.HEALTH_CLAIM, value=str(case_id))]
        )
        buttons.append(
            ButtonElement(text="Done", action_id=ActionId.HEALTH_CLOSE, value=str(case_id))
        )
        blocks.append(ActionsBlock(elements=buttons))
    return blocks


def health_escalation_text(owner: str | None, step: int) -> str:
    """The thread reply on an unclaimed health case past its 48h."""
    who = f"<@{owner}>" if owner else "Anyone in #voc"
    return f"{who}: this account's health case is still unclaimed (reminder {step})."


def health_text(account: AccountSummary) -> str:
    """ "*Health 61* ↓ −19 (watch) — NPS 9 → 4 (−12), …" for `/voc account`."""
    line = f"*Health {score_line(account.health_score, account.health_change)}*"
    if account.health_why:
        line += f" — {escape(shorten(account.health_why, 400))}"
    return line


def usage_report(report: UsageReport) -> str:
    """What `import usage` prints: the count, or every bad line and that nothing was stored."""
    if report.errors:
        count = len(report.errors)
        lines = [str(error) for error in report.errors[:20]]  # then a count, as imports do
        lines += [f"… and {count - 20} more"] if count > 20 else []
        return "\n".join([*lines, f"{_many(count, 'bad line')}: nothing was imported."])
    return (
        f"Imported {_many(report.stored, 'usage figure')} for "
        f"{_many(report.accounts, 'account')}; their health is recomputed."
    )


def _many(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
