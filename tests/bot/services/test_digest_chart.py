"""The trend chart: the verdict bands shaded behind the line, the answers behind each point."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from matplotlib.figure import Figure

from bot.domain.figures import WeekNps
from bot.domain.scores import ScoreSplit
from bot.domain.verdicts import DEFAULT_BANDS, parse_bands
from bot.services.digest_chart import nps_trend_png, shade_bands

START = datetime(2026, 9, 7, tzinfo=UTC)


def test_each_band_is_shaded_and_named() -> None:
    axes = Figure().subplots()
    shade_bands(axes, parse_bands("nps_good=25"))
    spans = [patch.get_y() for patch in axes.patches]
    assert spans == [-105, 0, 25, 50, 70]
    assert [text.get_text() for text in axes.texts] == [
        "needs attention", "fair", "good", "excellent", "world-class",
    ]  # fmt: skip


def test_the_png_draws_every_point_with_its_answers() -> None:
    trend = [
        WeekNps(START, ScoreSplit(6, 2, 2)),
        WeekNps(START + timedelta(days=7), ScoreSplit()),  # a gap
        WeekNps(START + timedelta(days=14), ScoreSplit(1, 0, 1)),
    ]
    png = nps_trend_png(trend, bands=DEFAULT_BANDS)
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    assert nps_trend_png(trend, bands=parse_bands("nps_good=10")) != png
