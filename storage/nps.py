"""The NPS split of a set of answers, counted in SQL and read as one small value."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func

from bot.domain.scores import CATEGORIES, ScoreSplit
from bot.domain.vocabulary import SurveyKind
from storage.models import Response


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
