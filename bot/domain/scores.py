"""Score rules and the small values they produce: NPS splits, averages and rates.

The NPS formula and the minimum number of answers worth reading live here once; storage
counts the answers and hands back these values, blocks/ draws them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Average:
    score_sum: int = 0
    count: int = 0

    @property
    def value(self) -> float | None:
        return self.score_sum / self.count if self.count else None


@dataclass(frozen=True)
class Rate:
    done: int
    total: int

    @property
    def share(self) -> float | None:
        """None when there is nothing to divide (an empty period says so, never NaN)."""
        return self.done / self.total if self.total else None


@dataclass
class CompletionRate:
    overall: Rate
    by_csm: dict[str | None, Rate] = field(default_factory=dict)
    open_cases: int = 0
    overdue_cases: int = 0
    # the median time from the answer to the first follow-up, per CSM (cases followed up)
    median_seconds: dict[str | None, int] = field(default_factory=dict)


MIN_ANSWERS = 5  # a group with fewer answers is shown as too small to read


CATEGORIES = ("promoter", "passive", "detractor")


@dataclass(frozen=True)
class ScoreSplit:
    """NPS answers split by category; the NPS is None when there is no answer."""

    promoters: int = 0
    passives: int = 0
    detractors: int = 0

    @property
    def total(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def nps(self) -> float | None:
        if not self.total:
            return None
        return 100 * (self.promoters - self.detractors) / self.total

    @property
    def too_small(self) -> bool:
        return self.total < MIN_ANSWERS

    def share(self, count: int) -> float | None:
        return count / self.total if self.total else None
