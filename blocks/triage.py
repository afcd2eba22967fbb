"""Block Kit and text for triage: a state told to requesters, staff's answers, a request's
detail, and impact figures (with "too few answers" below five)."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock

from blocks.catalog import t
from blocks.text import escape, shorten
from bot.domain.triage import (
    Figure,
    Impact,
    RequestDetail,
    StateChanged,
    ThemeStateChanged,
)
from bot.domain.vocabulary import RequestStatus

FEATURE_MAX = 200
SECTION_MAX = 3000
TOO_FEW = "too few answers"


def _feature(feature: str) -> str:
    return escape(shorten(feature, FEATURE_MAX))


def state_text(
    feature: str, state: RequestStatus, note: str | None, locale: str | None = None
) -> str:
    """The DM to someone who asked: the request's new state (and the team's note)."""
    text = t(locale, f"triage.told.{state.value}", feature=_feature(feature))
    if note:
        text += "\n" + t(locale, "triage.note", note=escape(shorten(note, 500)))
    return text


def state_changed_blocks(report: StateChanged) -> list[Block]:
    """What staff see after `/voc request ID STATE`."""
    name = f"*{_feature(report.feature)}* (#{report.request_id})"
    if report.changed:
        lines = [f":label: {name} is now *{report.state.value}*."]
    else:
        lines = [f":label: {name} was already *{report.state.value}*."]
    if not report.telling:
        lines.append("Nobody was told (add `--tell` to tell the people who asked).")
    else:
        lines.append(f"Told {report.told} new people who asked.")
        if report.already:
            lines.append(f"{report.already} had been told of this before.")
    if report.failed:
        refused = ", ".join(f"<@{user}> ({escape(error)})" for user, error in report.failed)
        lines.append(f"Slack refused {len(report.failed)}: {refused}")
    return [section("\n".join(lines))]


def theme_changed_blocks(report: ThemeStateChanged) -> list[Block]:
    verb = "is now" if report.changed else "was already"
    shown = "fixed (shipped)" if report.state == RequestStatus.SHIPPED else report.state.value
    return [section(f":label: The theme *{escape(report.theme)}* {verb} *{shown}*.")]


def tell_customers_text(feature: str, on: bool) -> str:
    if on:
        return (
            f"The customers who asked for *{_feature(feature)}* will get a short note in the "
            "monthly “you said, we did” once it ships."
        )
    return f"The customers who asked for *{_feature(feature)}* get no roll-up note."


def detail_blocks(detail: RequestDetail) -> list[Block]:
    """`/voc request ID`: the request, its state, who asked, and its impact once shipped."""
    head = f"*{_feature(detail.feature)}* (#{detail.request_id}) · *{detail.state.value}*"
    lines = [head]
    if detail.note or detail.state_by:
        said = f"“{escape(shorten(detail.note, 300))}”" if detail.note else ""
        who = f" — <@{detail.state_by}>" if detail.state_by and detail.state_by != "cli" else ""
        when = f" {detail.state_at:%Y-%m-%d}" if detail.state_at else ""
        lines.append(f"{said}{who}{when}".strip())
    asked = ", ".join(
        f"{escape(shorten(name, 80))} ({_money(arr)})" for name, arr in detail.accounts[:15]
    )
    more = f" and {len(detail.accounts) - 15} more" if len(detail.accounts) > 15 else ""
    lines.append(
        f"{_money(detail.arr)} ARR · {len(detail.accounts)} accounts · {detail.mentions} mentions"
    )
    if asked:
        lines.append(f"Asked by: {asked}{more}")
    if detail.tell_customers:
        lines.append("Customers hear of it in the monthly “you said, we did”.")
    if detail.impact is not None:
        lines.append(impact_text(detail.impact))
    return [section("\n".join(lines))]


def impact_text(impact: Impact) -> str:
    """Impact as lines: each figure before → after, with the answers behind it."""
    lines = [
        f"_Impact, 90 days before vs after {impact.at:%Y-%m-%d} "
        f"({impact.accounts} accounts{'' if impact.complete else ', still counting'}):_"
    ]
    lines.append(f"NPS {_figure(impact.before.nps, _nps)} → {_figure(impact.after.nps, _nps)}")
    lines.append(f"CSAT {_figure(impact.before.csat, _avg)} → {_figure(impact.after.csat, _avg)}")
    if impact.before.share is not None and impact.after.share is not None:
        lines.append(
            f"Share of comments {_figure(impact.before.share, _pct, 'comments')} → "
            f"{_figure(impact.after.share, _pct, 'comments')}"
        )
    return "\n".join(lines)


def _figure(figure: Figure, shown: object, unit: str = "answers") -> str:
    if figure.too_few or figure.value is None:
        return f"{TOO_FEW} ({figure.answers})"
    assert callable(shown)
    return f"{shown(figure.value)} ({figure.answers} {unit})"


def _nps(value: float) -> str:
    return f"{value:+.0f}"


def _avg(value: float) -> str:
    return f"{value:.2f}"


def _pct(value: float) -> str:
    return f"{value:.0%}"


def _money(value: float | None) -> str:
    return f"${value or 0:,.0f}"


def section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=shorten(text, SECTION_MAX)))


def _mention(owner: str) -> str:
    return f"<!subteam^{owner}>" if owner.startswith("S") else f"<@{owner}>"


def owner_thread_text(owners: tuple[str, ...], themes: list[str], is_request: bool) -> str:
    """The reply in the insight's thread that hands it to its themes' owners."""
    what = "feature request" if is_request else "feedback"
    mentions = " ".join(_mention(owner) for owner in owners)
    return f"{mentions}: new {what} on *{escape(', '.join(themes))}*, a theme you own."


def owner_dm_text(themes: list[str], account: str, text: str, is_request: bool) -> str:
    """The DM to a theme's owner when there is no INSIGHTS_CHANNEL to reply in."""
    what = "feature request" if is_request else "feedback"
    return (
        f"New {what} on *{escape(', '.join(themes))}*, a theme you own, from "
        f"*{escape(shorten(account, 100))}*:\n>{escape(shorten(' '.join(text.split()), 500))}"
    )
