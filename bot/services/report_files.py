"""The leadership reports' files: the NPS trend as a PNG and the whole report as a PDF.

Both are drawn with matplotlib (already the digest chart's library): a `Figure` made
directly draws off-screen, and its PDF backend (`PdfPages`) writes one page per figure, so
no second drawing library is needed. matplotlib is imported when a file is drawn, so web
processes never load it.
"""

from __future__ import annotations

import io
import math
import textwrap
from typing import TYPE_CHECKING

from blocks.leadership import report_title, sections
from bot.domain.leadership import LeadershipReport
from bot.services.digest_chart import INK, MUTED, PROMOTER_GREEN, shade_bands

if TYPE_CHECKING:
    from matplotlib.figure import Figure

A4 = (8.27, 11.69)  # inches
LINES_PER_PAGE = 52
WRAP = 95  # characters of a line on the page


def _chart(report: LeadershipReport, size: tuple[float, float]) -> Figure:
    """NPS per period over the verdict bands, each point with its number of answers."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=size, dpi=100)
    axes = figure.subplots()
    shade_bands(axes, report.bands)
    labels = [label for label, _figures in report.trend]
    values = [math.nan if f.nps.nps is None else f.nps.nps for _label, f in report.trend]
    positions = list(range(len(values)))
    axes.plot(positions, values, color=PROMOTER_GREEN, linewidth=2, marker="o")
    for x, (_label, figures), value in zip(positions, report.trend, values, strict=True):
        if not math.isnan(value):
            axes.annotate(
                f"n={figures.nps.total}", (x, value), textcoords="offset points",
                xytext=(0, 7), ha="center", fontsize=7, color=INK,
            )  # fmt: skip
    axes.axhline(0, color=MUTED, linewidth=0.8)
    axes.set_ylim(-105, 105)
    axes.set_xticks(positions, labels, fontsize=8)
    axes.set_xlim(-0.5, len(positions) - 0.5)
    axes.set_ylabel("NPS", color=INK)
    axes.set_title(f"NPS by {report.period.cadence[:-2]}", color=INK, fontsize=11)
    figure.tight_layout()
    figure.subplots_adjust(right=0.86)  # room for the bands' names
    return figure


def trend_png(report: LeadershipReport) -> bytes:
    buffer = io.BytesIO()
    _chart(report, (8, 3.2)).savefig(buffer, format="png")
    return buffer.getvalue()


def _wrapped(text: str) -> list[str]:
    return textwrap.wrap(text, WRAP, subsequent_indent="    ") or [""]


def _page_lines(report: LeadershipReport) -> list[tuple[str, bool]]:
    """Every line of the report as (text, is_heading), long lines wrapped."""
    lines: list[tuple[str, bool]] = []
    for title, body in sections(report):
        lines += [("", False), (title, True)]
        for plain, _mrkdwn in body:
            lines += [(part, False) for part in _wrapped(plain)]
    return lines


def report_pdf(report: LeadershipReport) -> bytes:
    """The report on A4 pages: the title and its sections, then the chart."""
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    lines = _page_lines(report)
    pages = [lines[i : i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)]
    buffer = io.BytesIO()
    with PdfPages(buffer, metadata={"Title": report_title(report), "Creator": "VoC bot"}) as pdf:
        for number, page in enumerate(pages, start=1):
            figure = Figure(figsize=A4)
            top = 0.95
            if number == 1:
                figure.text(0.07, top, report_title(report), fontsize=16, weight="bold", color=INK)
                top -= 0.04
            for row, (text, heading) in enumerate(page):
                figure.text(
                    0.07, top - row * 0.0165, text, fontsize=10 if heading else 8.5,
                    weight="bold" if heading else "normal", color=INK, family="DejaVu Sans",
                )  # fmt: skip
            figure.text(0.93, 0.03, f"{number}", fontsize=8, color=MUTED, ha="right")
            pdf.savefig(figure)
        pdf.savefig(_chart(report, (A4[1], A4[0])))  # the chart on a landscape page
    return buffer.getvalue()
