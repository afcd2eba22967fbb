"""The leadership reports as Block Kit (the channel), as plain text (the terminal and the
PDF): the same sections, so every reader sees the same figures. Pure: no I/O, no clock."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from blocks.digest import csm_line, format_nps, format_share, happy_line, rate_line
from blocks.text import escape, shorten
from bot.domain.health import HEALTH_BANDS, HealthMover
from bot.domain.leadership import LeadershipReport, SegmentMove
from bot.domain.scores import MIN_ANSWERS
from bot.domain.verdicts import (
    NPS_CONTEXT,
    ces_verdict,
    csat_verdict,
    followup_verdict,
    nps_verdict,
)

SECTION_MAX = 3000
NAME_MAX = 60
Section = tuple[str, list[tuple[str, str]]]  # title, lines as (plain, mrkdwn)

_KINDS = (("nps", "NPS"), ("csat", "CSAT"), ("ces", "CES"))


def _same(text: str) -> tuple[str, str]:
    return text, escape(text)


def report_title(report: LeadershipReport) -> str:
    cadence = "Monthly" if report.period.cadence == "monthly" else "Quarterly"
    return f"{cadence} customer report, {report.period.title}"


def _points(now: float | None, before: float | None, earlier: str, unit: str = "") -> str:
    if now is None or before is None:
        return f" (too few answers in {earlier} to compare)"
    delta = round(now) - round(before)
    if delta == 0:
        return f" (no change on {earlier})"
    return f" ({'▲' if delta > 0 else '▼'} {abs(delta)}{unit} on {earlier})"


def _nps(report: LeadershipReport, earlier: str) -> str:
    split = report.now.nps
    if split.total == 0 or split.nps is None:
        return "NPS: no answers"
    if split.too_small:
        return f"NPS: too few answers to read ({split.total}; {MIN_ANSWERS} needed)"
    verdict = nps_verdict(split.nps, report.bands)
    before = None if report.before.nps.too_small else report.before.nps.nps
    return (
        f"NPS: {format_nps(split.nps)}, {verdict}, from {split.total} answers"
        f"{_points(split.nps, before, earlier)}"
    )


def _share_change(now: float | None, before: float | None, earlier: str) -> str:
    if now is None:
        return ""
    return _points(now * 100, None if before is None else before * 100, earlier, unit=" pts")


def _happy(report: LeadershipReport, kind: str, earlier: str) -> str:
    now, before = report.now, report.before
    if kind == "csat":
        verdict = (
            csat_verdict(now.csat_share, now.csat.value, report.bands) if now.csat.count else None
        )
        line = happy_line("CSAT", now.csat, now.csat_share, 5, verdict)
        return line + _share_change(now.csat_share, before.csat_share, earlier)
    verdict = ces_verdict(now.ces_share, report.bands) if now.ces_share is not None else None
    line = happy_line("CES", now.ces, now.ces_share, 7, verdict)
    return line + _share_change(now.ces_share, before.ces_share, earlier)


def _scores(report: LeadershipReport) -> Section:
    earlier = report.period.previous().title
    lines = [_nps(report, earlier), NPS_CONTEXT, _happy(report, "csat", earlier)]
    lines += [_happy(report, "ces", earlier), rate_line("Response rate", report.rate, report.bands)]
    return "Scores", [_same(line) for line in lines]


def _segment_line(move: SegmentMove, whole: float | None) -> str:
    change = move.change or 0
    against = (
        "while the whole stood still"
        if not whole
        else (f"while the whole {'rose' if whole > 0 else 'fell'} {abs(round(whole))}")
    )
    return (
        f"{shorten(move.segment, NAME_MAX)}: {format_nps(move.before.nps)} → "
        f"{format_nps(move.now.nps)} ({round(change):+d}) {against}"
    )


def _segments(report: LeadershipReport) -> Section:
    moving = report.diverging
    if not moving:
        text = (
            "No segment moved against the whole"
            f" (a segment needs {MIN_ANSWERS} answers in both periods)"
        )
        return "Segments moving against the whole", [_same(text)]
    whole = report.nps_change
    return "Segments moving against the whole", [_same(_segment_line(m, whole)) for m in moving]


def _themes(report: LeadershipReport) -> Section:
    if not report.themes:
        return "Top themes", [_same("no tagged feedback")]
    lines = []
    for theme in report.themes:
        delta = theme.count - theme.previous
        comments = "comment" if theme.count == 1 else "comments"
        lines.append(f"{theme.theme}: {theme.count} {comments} (was {theme.previous}, {delta:+d})")
    return "Top themes", [_same(line) for line in lines]


def _follow_ups(report: LeadershipReport) -> Section:
    rate = report.completion.overall
    title = "Closed loop: follow-up within 48h, by CSM"
    if rate.total == 0:
        return title, [_same("no cases in this period")]
    verdict = followup_verdict(rate.share or 0, report.bands)
    first = (
        f"All: {format_share(rate.share)}, {verdict} ({rate.done} of {rate.total} cases;"
        f" target ≥ {report.bands.followup_target:g}%)"
    )
    ranked = sorted(
        report.completion.by_csm.items(), key=lambda item: (item[1].share or 0, item[0] or "~")
    )
    lines = [_same(first)]
    for csm, csm_rate in ranked:
        line = csm_line(
            csm, csm_rate, report.completion.median_seconds.get(csm), report.bands, report.people
        )
        lines.append((line.plain, line.mrkdwn))
    return title, lines


def _shipped(report: LeadershipReport) -> Section:
    if not report.shipped:
        return "Requests shipped", [_same("nothing shipped in this period")]
    lines = [
        f"{shorten(s.name, NAME_MAX)}, shipped {s.shipped_on:%d %b}: asked by {s.accounts}"
        f" account{'' if s.accounts == 1 else 's'}, ${s.arr:,.0f} ARR"
        for s in report.shipped
    ]
    return "Requests shipped", [_same(line) for line in lines]


def _churned(report: LeadershipReport) -> Section:
    if not report.churned:
        return "Churned accounts", [_same("no account churned in this period")]
    lines = []
    for gone in report.churned:
        arr = f", ${gone.arr:,.0f} ARR" if gone.arr else ""
        scores = ", ".join(f"{label} {gone.last[k]}" for k, label in _KINDS if k in gone.last)
        lines.append(
            f"{shorten(gone.account, NAME_MAX)} (churned {gone.churned_on:%d %b}{arr}):"
            f" {'last ' + scores if scores else 'never answered a survey'}"
        )
    return "Churned accounts", [_same(line) for line in lines]


def _mover(mover: HealthMover) -> str:
    why = f": {mover.why}" if mover.why else ""
    return f"{shorten(mover.account, NAME_MAX)} {mover.score} ({mover.change:+d}){why}"


def _health(report: LeadershipReport) -> Section | None:
    health = report.health
    if health is None:
        return None
    bands = " · ".join(
        f"{name} {health.bands.get(name, 0)}" for _bound, name in reversed(HEALTH_BANDS)
    )
    lines = [f"{bands} ({health.scored} accounts scored)"]
    lines += [f"Fell: {_mover(m)}" for m in health.falls]
    lines += [f"Rose: {_mover(m)}" for m in health.rises]
    return "Account health", [_same(line) for line in lines]


def sections(report: LeadershipReport) -> list[Section]:
    found = [
        _scores(report),
        _segments(report),
        _themes(report),
        _follow_ups(report),
        _shipped(report),
        _churned(report),
        _health(report),
    ]
    return [section for section in found if section is not None]


def report_summary(report: LeadershipReport) -> str:
    """The message's notification text: one line."""
    split = report.now.nps
    shown = "no NPS answers" if split.nps is None else f"NPS {format_nps(split.nps)}"
    return f"{report_title(report)}: {shown} from {split.total} answers."


def report_blocks(report: LeadershipReport) -> list[Block]:
    blocks: list[Block] = [HeaderBlock(text=shorten(report_title(report), 150))]
    for title, lines in sections(report):
        body = "\n".join(mrkdwn for _plain, mrkdwn in lines)
        text = shorten(f"*{escape(title)}*\n{body}", SECTION_MAX)
        blocks.append(SectionBlock(text=MarkdownTextObject(text=text)))
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="The chart and the PDF are in the thread. Changes are against"
                    f" {report.period.previous().title}."
                )
            ]
        )
    )
    return blocks


def report_text(report: LeadershipReport) -> str:
    out = [report_title(report), "=" * len(report_title(report))]
    for title, lines in sections(report):
        out += ["", title, "-" * len(title)]
        out += [f"  {plain}" for plain, _mrkdwn in lines]
    return "\n".join(out) + "\n"
