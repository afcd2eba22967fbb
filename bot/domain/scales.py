"""Survey scales and what a score means: pure rules, no I/O."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.vocabulary import SurveyKind


@dataclass(frozen=True)
class Scale:
    kind: SurveyKind
    low: int
    high: int
    low_label: str
    high_label: str

    @property
    def scores(self) -> range:
        return range(self.low, self.high + 1)

    def contains(self, score: int) -> bool:
        return self.low <= score <= self.high


# What `category` returns, by how the answer reads: the top, the middle, the bottom.
HAPPY = ("promoter", "satisfied", "easy")
MIDDLE = ("passive", "neutral")
UNHAPPY = ("detractor", "dissatisfied", "difficult")

SCALES: dict[SurveyKind, Scale] = {
    SurveyKind.NPS: Scale(SurveyKind.NPS, 0, 10, "not at all likely", "extremely likely"),
    SurveyKind.CSAT: Scale(SurveyKind.CSAT, 1, 5, "very dissatisfied", "very satisfied"),
    SurveyKind.CES: Scale(SurveyKind.CES, 1, 7, "very difficult", "very easy"),
}


def scale_for(kind: str) -> Scale:
    return SCALES[SurveyKind(kind)]


def category(kind: str, score: int) -> str:
    """NPS: promoter / passive / detractor; CSAT and CES get the same three-way split."""
    survey = SurveyKind(kind)
    if not SCALES[survey].contains(score):
        raise ValueError(f"{score} is outside the {survey.value} scale")
    if survey is SurveyKind.NPS:
        return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
    if survey is SurveyKind.CSAT:
        return "satisfied" if score >= 4 else "neutral" if score == 3 else "dissatisfied"
    return "easy" if score >= 5 else "neutral" if score == 4 else "difficult"


def needs_follow_up(kind: str, score: int) -> bool:
    """NPS detractors, CSAT ≤ 2 and CES ≤ 3 open a follow-up case."""
    return category(kind, score) in UNHAPPY


def is_promoter(kind: str, score: int | None) -> bool:
    """An NPS 9–10: thanked and offered advocacy."""
    return kind == SurveyKind.NPS and score is not None and category(kind, score) == "promoter"
