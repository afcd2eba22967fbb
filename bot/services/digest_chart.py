"""The digest's trend chart: NPS per week as a PNG, drawn off-screen."""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING

from bot.domain.figures import WeekNps
from bot.domain.verdicts import DEFAULT_BANDS, Bands

if TYPE_CHECKING:
    from matplotlib.axes import Axes

PROMOTER_GREEN = "#2eb67d"
INK = "#1d1c1d"
MUTED = "#9a9a9a"
# the NPS bands' shading, lowest first: needs attention … world-class
BAND_COLOURS = ("#f6d5d5", "#fbeccd", "#eef3d6", "#d9efe2", "#c7e8f3")


def shade_bands(axes: Axes, bands: Bands, *, top: float = 105, bottom: float = -105) -> None:
    """The NPS verdict bands as horizontal stripes, each named at the right edge."""
    steps = bands.nps_steps()
    for n, (low, word) in enumerate(steps):
        high = steps[n + 1][0] if n + 1 < len(steps) else top
        low = bottom if n == 0 else low
        axes.axhspan(low, high, color=BAND_COLOURS[n % len(BAND_COLOURS)], zorder=0)
        axes.text(
            1.005, (low + high) / 2, word, transform=axes.get_yaxis_transform(),
            fontsize=7, color=MUTED, va="center", ha="left",
        )  # fmt: skip


def nps_trend_png(
    trend: list[WeekNps], *, title: str = "NPS per week", bands: Bands = DEFAULT_BANDS
) -> bytes:
    """A line of weekly NPS over the verdict bands (shaded); weeks with no answer are gaps,
    weeks under 5 answers hollow, and each point carries its number of answers.

    matplotlib is imported here, when a chart is drawn, so web processes never load it.
    A `Figure` made directly draws off-screen (no pyplot, no display needed).
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 3.2), dpi=100)
    axes = figure.subplots()
    shade_bands(axes, bands)
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
        axes.annotate(
            f"n={week.split.total}", (x, value), textcoords="offset points", xytext=(0, 7),
            ha="center", fontsize=7, color=INK,
        )  # fmt: skip
    axes.axhline(0, color=MUTED, linewidth=0.8)
    axes.set_ylim(-105, 105)  # room for a marker at ±100
    axes.set_xticks(positions, labels, fontsize=8)
    axes.set_xlim(-0.5, len(positions) - 0.5)
    axes.set_ylabel("NPS", color=INK)
    axes.set_title(title, color=INK, fontsize=11)
    axes.grid(axis="y", alpha=0.3)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    figure.subplots_adjust(right=0.86)  # room for the bands' names
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
