"""The leadership reports' read model (monthly and quarterly) and the rule for a segment
that moves against the whole. Pure: the service fills it, blocks/ and the PDF draw it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.domain.figures import PeriodFigures, ResponseRate
from bot.domain.health import HealthSummary
from bot.domain.report_periods import ReportPeriod
from bot.domain.scores import CompletionRate, ScoreSplit
from bot.domain.verdicts import DEFAULT_BANDS, Bands

# A segment "diverges" when its NPS moved at least this many points the other way from
# the whole (or this far while the whole stood still), both periods readable.
DIVERGENCE_POINTS = 5
THEMES_SHOWN = 5


@dataclass(frozen=True)
class SegmentMove:
    segment: str
    now: ScoreSplit
    before: ScoreSplit

    @property
    def change(self) -> float | None:
        if self.now.too_small or self.before.too_small:
            return None
        assert self.now.nps is not None and self.before.nps is not None
        return self.now.nps - self.before.nps


@dataclass(frozen=True)
class ThemeMove:
    theme: str
    count: int  # comments tagged with it this period
    previous: int  # the period before


@dataclass(frozen=True)
class Shipped:
    name: str
    shipped_on: date
    accounts: int
    arr: float


@dataclass(frozen=True)
class Churned:
    """An account that churned in the period and the last score of each kind it gave."""

    account: str
    churned_on: date
    arr: float | None
    last: dict[str, int] = field(default_factory=dict)  # "nps" / "csat" / "ces" → score


@dataclass(frozen=True)
class LeadershipReport:
    period: ReportPeriod
    now: PeriodFigures
    before: PeriodFigures  # the period before (month over month, quarter over quarter)
    rate: ResponseRate
    segments: list[SegmentMove]
    themes: list[ThemeMove]
    completion: CompletionRate
    shipped: list[Shipped]
    churned: list[Churned]
    health: HealthSummary | None = None  # None: no health score to read
    bands: Bands = DEFAULT_BANDS
    people: dict[str, str] = field(default_factory=dict)  # Slack id → name
    trend: list[tuple[str, PeriodFigures]] = field(default_factory=list)  # oldest first

    @property
    def nps_change(self) -> float | None:
        if self.now.nps.too_small or self.before.nps.too_small:
            return None
        assert self.now.nps.nps is not None and self.before.nps.nps is not None
        return self.now.nps.nps - self.before.nps.nps

    @property
    def diverging(self) -> list[SegmentMove]:
        return diverging(self.nps_change, self.segments)


def diverging(whole: float | None, segments: list[SegmentMove]) -> list[SegmentMove]:
    """Segments moving against the whole, the largest move first.

    Opposite in sign to the whole's change by at least DIVERGENCE_POINTS; when the whole
    did not move (or cannot be compared), any move of that size counts."""
    found = []
    for move in segments:
        change = move.change
        if change is None or abs(change) < DIVERGENCE_POINTS:
            continue
        if whole is None or whole == 0 or (change > 0) != (whole > 0):
            found.append(move)
    return sorted(found, key=lambda move: -abs(move.change or 0))
