from __future__ import annotations

import pytest

from bot.domain.scales import SCALES, category, needs_follow_up
from bot.domain.vocabulary import SurveyKind


def test_scales_match_the_spec() -> None:
    assert list(SCALES[SurveyKind.NPS].scores) == list(range(0, 11))
    assert list(SCALES[SurveyKind.CSAT].scores) == [1, 2, 3, 4, 5]
    assert list(SCALES[SurveyKind.CES].scores) == list(range(1, 8))


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (0, "detractor"),
        (6, "detractor"),
        (7, "passive"),
        (8, "passive"),
        (9, "promoter"),
        (10, "promoter"),
    ],
)
def test_nps_categories(score: int, expected: str) -> None:
    assert category("nps", score) == expected


def test_follow_up_thresholds() -> None:
    assert [s for s in range(11) if needs_follow_up("nps", s)] == list(range(7))
    assert [s for s in range(1, 6) if needs_follow_up("csat", s)] == [1, 2]
    assert [s for s in range(1, 8) if needs_follow_up("ces", s)] == [1, 2, 3]


@pytest.mark.parametrize(("kind", "score"), [("nps", 11), ("nps", -1), ("csat", 0), ("ces", 8)])
def test_scores_outside_the_scale_are_refused(kind: str, score: int) -> None:
    with pytest.raises(ValueError, match="outside"):
        category(kind, score)
