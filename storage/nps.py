"""The NPS split of a set of answers, counted in SQL and read as one small value."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func

from storage.models import Response, SurveyKind

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


def split_columns(condition: ColumnElement[bool] | None = None) -> list[Any]:
    """Three conditional counts (promoters, passives, detractors) of NPS answers."""
    columns = []
    for name in CATEGORIES:
        test = and_(Response.kind == SurveyKind.NPS, Response.category == name)
        if condition is not None:
            test = and_(condition, test)
        columns.append(func.sum(case((test, 1), else_=0)))
    return columns


def to_split(values: Iterable[Any]) -> ScoreSplit:
    """The split from the three sums of `split_columns` (NULL when nothing matched)."""
    promoters, passives, detractors = (int(v or 0) for v in values)
    return ScoreSplit(promoters, passives, detractors)
