"""The weekly digest as Block Kit (for the channel) and as plain text (for the terminal).

Both renderings come from the same list of sections, so what `python -m bot digest` prints
is what the channel reads. Pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from blocks.text import escape, shorten
from bot.domain.figures import Digest, GroupNps, ResponseRate, ThemeCount
from bot.domain.health import HealthSummary
from bot.domain.scores import MIN_ANSWERS, Average, CompletionRate, Rate, ScoreSplit
from bot.domain.verdicts import (
    DEFAULT_BANDS,
    NPS_CONTEXT,
    Bands,
    ces_verdict,
    csat_verdict,
    followup_verdict,
    nps_verdict,
    response_alert,
    response_verdict,
)

GROUPS_SHOWN = 8  # per breakdown; the rest are summed up in one line
SECTION_MAX = 3000
VERBATIM_MAX = 280
LABEL_MAX = 60
_DIMENSION_TITLES = {
    "segment": "segment",
    "plan": "plan",
    "csm": "CSM",
    "tenure": "tenure",
    "health": "health",
}


@dataclass(frozen=True)
class _Line:
    """One line; `mrkdwn` is what Slack shows (escaped, mentions), `plain` the terminal's."""

    plain: str
    mrkdwn: str


@dataclass(frozen=True)
class _Section:
    title: str
    lines: list[_Line]


def _same(text: str) -> _Line:
    return _Line(text, escape(text))


def format_nps(value: float | None) -> str:
    """+20, -5, 0; "—" when there is nothing to compute it from."""
    if value is None:
        return "—"
    rounded = round(value)
    return f"{rounded:+d}" if rounded else "0"


def format_share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _change(now: float | None, before: float | None, earlier: str) -> str:
    if now is None:
        return ""
    if before is None:
        return f" (too few answers {earlier} to compare)"
    delta = round(now) - round(before)
    if delta == 0:
        return f" (no change on {earlier})"
    return f" ({'▲' if delta > 0 else '▼'} {abs(delta)} on {earlier})"


def _nps_line(
    label: str, split: ScoreSplit, before: ScoreSplit, earlier: str, bands: Bands = DEFAULT_BANDS
) -> str:
    if split.total == 0 or split.nps is None:
        return f"{label}: no NPS answers"
    if split.too_small:
        return f"{label}: too few answers to read ({split.total}; {MIN_ANSWERS} needed)"
    shown = format_nps(split.nps)
    previous = None if before.too_small else before.nps
    verdict = nps_verdict(split.nps, bands)
    return (
        f"{label}: {shown}, {verdict}, from {split.total} answers"
        f"{_change(split.nps, previous, earlier)}"
    )


def happy_line(
    label: str, average: Average, share: float | None, top: int, verdict: str | None
) -> str:
    """CSAT / CES: the share answering at the top of the scale, the mean, and the verdict."""
    if average.value is None or share is None:
        return f"{label}: no answers"
    happy = "4–5" if top == 5 else "5–7"
    return (
        f"{label}: {format_share(share)} answered {happy} of {top}, mean {average.value:.1f},"
        f" {verdict}, from {average.count} answers"
    )


def csat_line(label: str, average: Average, share: float | None, bands: Bands) -> str:
    verdict = csat_verdict(share, average.value, bands) if average.count else None
    return happy_line(label, average, share, 5, verdict)


def ces_line(label: str, average: Average, share: float | None, bands: Bands) -> str:
    verdict = ces_verdict(share, bands) if share is not None else None
    return happy_line(label, average, share, 7, verdict)


def _split_line(split: ScoreSplit) -> str:
    parts = [
        f"{name} {count} ({format_share(split.share(count))})"
        for name, count in (
            ("promoters", split.promoters),
            ("passives", split.passives),
            ("detractors", split.detractors),
        )
    ]
    return "Split (90 days): " + ", ".join(parts)


def _average(label: str, average: Average, top: int) -> str:
    if average.value is None:
        return f"{label}: no answers"
    return f"{label}: {average.value:.1f} of {top} from {average.count} answers"


def rate_line(label: str, rate: ResponseRate, bands: Bands = DEFAULT_BANDS) -> str:
    """A response rate over people (each once per survey wave) with its verdict."""
    if rate.meant == 0 or rate.share is None:
        return f"{label}: no surveys sent"
    verdict = response_verdict(rate.share, bands)
    whom = (
        f"{rate.sent} people asked"
        if not rate.unreachable
        else f"{rate.meant} people we meant to ask, {rate.unreachable} of them unreachable,"
    )
    return (
        f"{label}: {format_share(rate.share)}, {verdict} ({rate.answered} of {whom}"
        f" answered; healthy ≥ {bands.response_healthy:g}%)"
    )


def alert_line(digest: Digest) -> str | None:
    """The line above everything else when the 90 days' response rate is too low to trust."""
    rate, bands = digest.quarter_rate, digest.bands
    if not response_alert(rate.share, bands):
        return None
    return (
        f"⚠ Response rate {format_share(rate.share)} over 90 days is too low to trust"
        f" (below {bands.response_too_low:g}%): read these scores as anecdotes, not a trend."
    )


def _unreachable_line(rate: ResponseRate) -> str:
    return (
        f"Could not reach (90 days): {format_share(rate.unreachable_share)} "
        f"({rate.unreachable} of {rate.meant}). To reach them: add each person's "
        "slack_user_id, or their account's Slack Connect channel as slack_channel, to the "
        "contacts CSV and invite the bot to that channel, or set SMTP_URL to ask them by "
        "email; `send --unreachable FILE.csv` lists who and why."
    )


def _headline(digest: Digest) -> _Section:
    bands = digest.bands
    lines = [
        _nps_line(
            "NPS, last 90 days",
            digest.quarter.nps,
            digest.previous_quarter.nps,
            "the 90 days before",
            bands,
        ),
        _nps_line(
            "NPS, last week", digest.week.nps, digest.previous_week.nps, "the week before", bands
        ),
    ]
    if digest.quarter.nps.total:
        lines.append(_split_line(digest.quarter.nps))
        lines.append(NPS_CONTEXT)
    quarter = digest.quarter
    lines += [
        f"Responses: {digest.week.responses} last week, {digest.quarter.responses} in 90 days",
        rate_line("Response rate, last week", digest.week_rate, bands),
        rate_line("Response rate, 90 days", digest.quarter_rate, bands),
        *([_unreachable_line(digest.quarter_rate)] if digest.quarter_rate.unreachable else []),
        csat_line("CSAT (90 days)", quarter.csat, quarter.csat_share, bands),
        ces_line("CES (90 days)", quarter.ces, quarter.ces_share, bands),
    ]
    return _Section("Scores", [_same(line) for line in lines])


def _person(user_id: str, people: dict[str, str]) -> str:
    """A Slack user as the terminal names them: their name, never the raw id."""
    return people.get(user_id) or "unnamed CSM"


def _group_line(group: GroupNps, dimension: str, people: dict[str, str]) -> _Line:
    split = group.split
    if split.too_small:
        figure = f"too few to read (n={split.total})"
    else:
        figure = f"{format_nps(split.nps)} (n={split.total})"
    label = shorten(group.label, LABEL_MAX)
    if dimension == "health":
        label = label.capitalize()  # "Yellow", as the #voc cards write it
    if dimension == "csm" and label.startswith(("U", "W")) and label.isalnum():
        return _Line(f"{_person(label, people)}: {figure}", f"<@{label}>: {figure}")
    return _same(f"{label}: {figure}")


def _breakdown(dimension: str, groups: list[GroupNps], people: dict[str, str]) -> _Section:
    title = f"NPS by {_DIMENSION_TITLES[dimension]} (90 days)"
    lines = [_group_line(group, dimension, people) for group in groups[:GROUPS_SHOWN]]
    rest = groups[GROUPS_SHOWN:]
    if rest:
        answers = sum(group.split.total for group in rest)
        lines.append(_same(f"…and {len(rest)} more groups with {answers} answers"))
    return _Section(title, lines or [_same("no NPS answers")])


def _themes(title: str, themes: list[ThemeCount], of_what: str) -> _Section:
    if not themes:
        return _Section(title, [_same("no tagged feedback")])
    lines = [
        _same(
            f"{format_share(theme.share)} of {of_what} mention {theme.theme}"
            f" ({theme.count} of {theme.total})"
        )
        for theme in themes
    ]
    return _Section(title, lines)


def _theme_trends(digest: Digest) -> _Section | None:
    """Each top theme's share against the 90 days before, and the segment it comes from."""
    if not digest.theme_trends:
        return None
    lines = []
    for trend in digest.theme_trends:
        text = f"{trend.theme}: {format_share(trend.share)}"
        if trend.previous_share is not None and trend.share is not None:
            points = round((trend.share - trend.previous_share) * 100)
            text += f" (was {format_share(trend.previous_share)}, {points:+d} pts)"
        if trend.segment_share is not None:
            where = shorten(trend.segment or "no segment", LABEL_MAX)
            text += f" · mostly {where} ({format_share(trend.segment_share)} of mentions)"
        lines.append(_same(text))
    return _Section("Themes against the 90 days before", lines)


_SIGNAL_TITLES = {"churn risk": "Churn risk", "expansion": "Expansion"}


def _signals(digest: Digest) -> _Section | None:
    """Last week's churn-risk and expansion flags, with the words behind them, and sentiment."""
    moods = digest.week_sentiment
    if not digest.signals and not moods:
        return None
    lines = []
    if moods:
        counts = " · ".join(
            f"{moods.get(mood, 0)} {mood}" for mood in ("positive", "neutral", "negative")
        )
        lines.append(_same(f"Sentiment of last week's feedback: {counts}"))
    for kind, title in _SIGNAL_TITLES.items():
        heard = [signal for signal in digest.signals if signal.kind == kind]
        if not heard:
            continue
        shown = ", ".join(
            f'{shorten(signal.account, LABEL_MAX)} ("{signal.phrase}")' for signal in heard[:6]
        )
        more = f" and {len(heard) - 6} more" if len(heard) > 6 else ""
        lines.append(_same(f"{title}: {len(heard)} account(s): {shown}{more}"))
    return _Section("Signals heard last week", lines)


def _moved(summary: HealthSummary) -> bool:
    return bool(summary.falls or summary.rises)


def _movers(summary: HealthSummary) -> _Section:
    """Account health's five biggest falls and rises of the week, each with why."""
    lines = []
    for title, movers in (("Fell", summary.falls), ("Rose", summary.rises)):
        for mover in movers:
            change = f"+{mover.change}" if mover.change > 0 else f"−{abs(mover.change)}"
            why = f": {mover.why}" if mover.why else ""
            name = shorten(mover.account, LABEL_MAX)
            lines.append(_same(f"{title}: {name} {mover.score} ({change}){why}"))
    return _Section("Account health movers (week)", lines)


def _unowned(digest: Digest) -> _Section:
    """Last week's themes nobody owns (THEME_OWNERS routes each theme's feedback to someone)."""
    themes = ", ".join(digest.unowned_themes)
    text = f"{themes}: heard last week, owned by nobody (set an owner in THEME_OWNERS)"
    return _Section("Themes without an owner", [_same(text)])


def _follow_up(digest: Digest) -> _Section:
    completion = digest.completion
    rate = completion.overall
    if rate.total == 0:
        first = "Follow-up within 48h: no cases in the last 90 days"
    else:
        verdict = followup_verdict(rate.share or 0, digest.bands)
        first = (
            f"Follow-up within 48h: {format_share(rate.share)}, {verdict} ({rate.done} of"
            f" {rate.total} cases in 90 days; target ≥ {digest.bands.followup_target:g}%)"
        )
    second = f"Open cases: {completion.open_cases}, overdue: {completion.overdue_cases}"
    lines = csm_lines(completion, digest.bands, digest.people)
    return _Section("Follow-ups", [_same(first), _same(second), *lines])


def format_wait(seconds: int | None) -> str:
    """A follow-up's wait, read at a glance: 45m, 10h, 2d 12h; "none yet" without one."""
    if seconds is None:
        return "none yet"
    hours, minutes = divmod(seconds // 60, 60)
    if hours == 0:
        return f"{minutes}m"
    if hours < 48:
        return f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours else f"{days}d"


def csm_line(
    csm: str | None,
    rate: Rate,
    median_seconds: int | None,
    bands: Bands = DEFAULT_BANDS,
    people: dict[str, str] | None = None,
) -> _Line:
    """One CSM's completion within 48h against the target, and their median first follow-up;
    the terminal names the CSM (`people`), Slack mentions them."""
    verdict = followup_verdict(rate.share or 0, bands)
    figures = (
        f"{format_share(rate.share)} within 48h ({rate.done} of {rate.total}, {verdict})"
        f" · median first follow-up {format_wait(median_seconds)}"
    )
    if csm is None:
        return _same(f"No CSM: {figures}")
    return _Line(f"{_person(csm, people or {})}: {figures}", f"<@{csm}>: {figures}")


def csm_lines(
    completion: CompletionRate,
    bands: Bands = DEFAULT_BANDS,
    people: dict[str, str] | None = None,
) -> list[_Line]:
    """Per CSM, lowest completion first (where a manager looks first)."""
    ranked = sorted(
        completion.by_csm.items(), key=lambda item: (item[1].share or 0, item[0] or "~")
    )
    return [
        csm_line(csm, rate, completion.median_seconds.get(csm), bands, people)
        for csm, rate in ranked
    ]


CSAT_BY_TITLES = {
    "agent": "CSAT by agent (90 days)",
    "issue_type": "CSAT by issue type (90 days)",
    "resolution_time": "CSAT by resolution time (90 days, Zendesk tickets)",
}


def _csat_by(digest: Digest) -> list[_Section]:
    """CSAT per support agent and per issue type, lowest first; none without ticket data."""
    sections = []
    for key, groups in digest.csat_by.items():
        if not groups:
            continue
        ranked = sorted(groups.items(), key=lambda item: (item[1].value or 0, item[0]))
        lines = [
            _same(_average(shorten(label, LABEL_MAX), average, 5))
            for label, average in ranked[:GROUPS_SHOWN]
        ]
        sections.append(_Section(CSAT_BY_TITLES.get(key, f"CSAT by {key}"), lines))
    return sections


def _followups(digest: Digest) -> list[_Section]:
    """Question sets' follow-ups (90 days): each choice, yes/no and rating's answers with
    their share; each text question's themes, as comments are themed."""
    if not digest.followups:
        return []
    lines = []
    for summary in digest.followups:
        counts = ", ".join(
            f"{shorten(label, LABEL_MAX)} {count} ({count / summary.answers:.0%})"
            for label, count in summary.counts[:GROUPS_SHOWN]
        )
        if summary.type == "text":
            counts = f"themes: {counts}" if counts else "no theme found"
        head = f"{summary.survey} · {shorten(summary.words, VERBATIM_MAX)} ({summary.answers})"
        lines.append(_same(f"{head}: {counts}"))
    return [_Section("Follow-up answers (90 days)", lines)]


def _requests(digest: Digest) -> _Section:
    if not digest.requests:
        return _Section("Top feature requests by ARR", [_same("no feature requests yet")])
    lines = [
        _same(
            f"{index}. {shorten(request.name, LABEL_MAX)}: ${request.arr:,.0f} ARR,"
            f" {request.accounts} account{'' if request.accounts == 1 else 's'}"
            f" ({request.status})"
        )
        for index, request in enumerate(digest.requests, start=1)
    ]
    return _Section("Top feature requests by ARR", lines)


def _verbatims(digest: Digest) -> _Section:
    if not digest.verbatims:
        return _Section("Fresh verbatims", [_same("no comments last week")])
    lines = []
    for verbatim in digest.verbatims:
        comment = " ".join(shorten(verbatim.comment.strip(), VERBATIM_MAX).split())
        who = f"{verbatim.kind.upper()} {verbatim.score}, {shorten(verbatim.account, LABEL_MAX)}"
        lines.append(_Line(f'"{comment}" ({who})', f"> {escape(comment)}\n_{escape(who)}_"))
    return _Section("Fresh verbatims", lines)


def _sections(digest: Digest) -> list[_Section]:
    if digest.empty:
        return [
            _Section(
                "Nothing to report",
                [_same("No surveys were sent and no answers came in during the last 90 days.")],
            )
        ]
    alert = alert_line(digest)
    return [
        *([_Section("Alert", [_same(alert)])] if alert else []),
        _headline(digest),
        *(_breakdown(name, groups, digest.people) for name, groups in digest.breakdowns.items()),
        _themes("Top themes (90 days)", digest.themes, "comments"),
        _themes("Among detractors (90 days)", digest.detractor_themes, "detractor comments"),
        *(section for section in (_theme_trends(digest), _signals(digest)) if section),
        *([_unowned(digest)] if digest.unowned_themes else []),
        *([_movers(digest.health)] if digest.health and _moved(digest.health) else []),
        _follow_up(digest),
        *_csat_by(digest),
        *_followups(digest),
        _requests(digest),
        _verbatims(digest),
    ]


def digest_title(digest: Digest) -> str:
    return f"Weekly customer feedback digest, week to {digest.today:%d %b %Y}"


def digest_summary(digest: Digest) -> str:
    """The message's notification text: one line."""
    if digest.empty:
        return f"{digest_title(digest)}: nothing to report yet."
    quarter, week = digest.quarter.nps, digest.week.nps
    return (
        f"{digest_title(digest)}: NPS {format_nps(quarter.nps)} over 90 days,"
        f" {format_nps(week.nps)} last week ({week.total} answers)."
    )


def digest_blocks(digest: Digest) -> list[Block]:
    """Header, one section per part, and a pointer to the chart in the thread (≤ 50 blocks)."""
    blocks: list[Block] = [HeaderBlock(text=shorten(digest_title(digest), 150))]
    for section in _sections(digest):
        body = "\n".join(line.mrkdwn for line in section.lines)
        text = shorten(f"*{escape(section.title)}*\n{body}", SECTION_MAX)
        blocks.append(SectionBlock(text=MarkdownTextObject(text=text)))
    blocks.append(DividerBlock())
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"NPS per week is charted in the thread. Groups under {MIN_ANSWERS}"
                    " answers are too small to read."
                )
            ]
        )
    )
    return blocks


def digest_text(digest: Digest) -> str:
    """The digest for a terminal: the same sections, plain text."""
    out = [digest_title(digest), "=" * len(digest_title(digest))]
    for section in _sections(digest):
        out += ["", section.title, "-" * len(section.title)]
        out += [f"  {line.plain}" for line in section.lines]
    return "\n".join(out) + "\n"
