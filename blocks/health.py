"""Account health in Slack: the score's short forms on cards, App Home and `/voc account`,
and the words of the case a drop opens (its card is the follow-up loop's: blocks/cases.py)."""

from __future__ import annotations

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
    moved = f" {arrow(change)} {signed(change)}" if change else (" →" if change == 0 else "")
    return f"{score}{moved} ({health_band(score)})"


def signed(change: int | None) -> str:
    """ "+5", "−9" (a real minus sign), "0"."""
    if not change:
        return "0"
    return f"+{change}" if change > 0 else f"−{abs(change)}"


def health_case_text(account: str, score: int, change: int | None) -> str:
    """The notification: "Health of Acme fell to 35 (−20): needs a follow-up"."""
    moved = f" ({signed(change)})" if change else ""
    name = escape(shorten(account, _NAME_MAX))
    return f"Health of {name} fell to {score}{moved}: needs a follow-up"


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
