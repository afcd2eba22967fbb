"""The digest's trend chart: NPS per week as a PNG, drawn off-screen."""

from __future__ import annotations

import io
import math

from bot.domain.figures import WeekNps

PROMOTER_GREEN = "#2eb67d"
INK = "#1d1c1d"
MUTED = "#9a9a9a"


def nps_trend_png(trend: list[WeekNps], *, title: str = "NPS per week") -> bytes:
    """A line of weekly NPS; weeks with no answer are gaps, weeks under 5 answers hollow.

    matplotlib is imported here, when a chart is drawn, so web processes never load it.
    A `Figure` made directly draws off-screen (no pyplot, no display needed).
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 3.2), dpi=100)
    axes = figure.subplots()
    labels = [week.week_start.strftime("%d %b") for week in trend]
    values = [math.nan if week.split.nps is None else week.split.nps for week in trend]
    positions = list(range(len(trend)))
    axes.plot(positions, values, color=PROMOTER_GREEN, linewidth=2)
    for x, week, value in zip(positions, trend, values, strict=True):
        if math.isnan(value):
            continue
        hollow = week.split.too_small
        axes.plot(
            [x],
            [value],
            marker="o",
            markersize=6,
            color=PROMOTER_GREEN,
            markerfacecolor="white" if hollow else PROMOTER_GREEN,
        )
    axes.axhline(0, color=MUTED, linewidth=0.8)
    axes.set_ylim(-105, 105)  # room for a marker at ±100
    axes.set_xticks(positions, labels, fontsize=8)
    axes.set_ylabel("NPS", color=INK)
    axes.set_title(title, color=INK, fontsize=11)
    axes.grid(axis="y", alpha=0.3)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
