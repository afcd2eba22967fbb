"""The leadership report's sections that need no database: health and the divergence rule."""

from __future__ import annotations

from datetime import UTC, date, datetime

from blocks.leadership import report_text
from bot.domain.figures import PeriodFigures, ResponseRate, Window
from bot.domain.health import HealthMover, HealthSummary
from bot.domain.leadership import LeadershipReport, SegmentMove, diverging
from bot.domain.report_periods import parse_period
from bot.domain.scores import Average, CompletionRate, Rate, ScoreSplit

QUARTER = parse_period("quarterly", "2026-Q4")


def _figures(split: ScoreSplit) -> PeriodFigures:
    window = Window(datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    return PeriodFigures(window, split, Average(), Average(), split.total)


def _report(**changes) -> LeadershipReport:
    fields = dict(
        period=QUARTER,
        now=_figures(ScoreSplit(6, 2, 2)),
        before=_figures(ScoreSplit(5, 3, 2)),
        rate=ResponseRate(10, 100),
        segments=[],
        themes=[],
        completion=CompletionRate(Rate(0, 0)),
        shipped=[],
        churned=[],
    )
    fields.update(changes)
    return LeadershipReport(**fields)


def test_the_health_section_shows_bands_and_movers() -> None:
    health = HealthSummary(
        bands={"healthy": 12, "watch": 5, "at risk": 3},
        falls=[HealthMover(1, "Globex", 35, -20, "NPS 9 → 4 (−12)")],
        rises=[HealthMover(2, "Acme", 82, 11)],
        scored=20,
    )
    text = report_text(_report(health=health))
    assert "Quarterly customer report, Q4 2026" in text
    assert "healthy 12 · watch 5 · at risk 3 (20 accounts scored)" in text
    assert "Fell: Globex 35 (-20): NPS 9 → 4 (−12)" in text and "Rose: Acme 82 (+11)" in text
    assert "Account health" not in report_text(_report())
    assert "Response rate: 10%, too low to trust" in text


def _move(name: str, now: tuple[int, int, int], before: tuple[int, int, int]) -> SegmentMove:
    return SegmentMove(name, ScoreSplit(*now), ScoreSplit(*before))


def test_a_segment_diverges_when_it_moves_five_points_against_the_whole() -> None:
    up = _move("up", (6, 2, 2), (5, 2, 3))  # +40 from +20: +20
    down = _move("down", (2, 2, 6), (3, 2, 5))  # -40 from -20: -20
    small = _move("small", (1, 1, 1), (5, 2, 3))  # too few answers to compare
    barely = _move("barely", (10, 6, 4), (9, 7, 4))  # +30 from +25: +5
    assert [m.segment for m in diverging(-3, [up, down, small, barely])] == ["up", "barely"]
    assert [m.segment for m in diverging(4, [up, down, small, barely])] == ["down"]
    assert [m.segment for m in diverging(0, [up, down, barely])] == ["up", "down", "barely"]
    assert date(2026, 10, 1) == QUARTER.start
