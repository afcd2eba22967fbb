from __future__ import annotations

import pytest

from bot.domain.questions import (
    MAX_QUESTIONS,
    THEME_CHOICES,
    Question,
    asks_theme,
    check_chain,
    plan,
    theme_choice,
)
from bot.domain.vocabulary import SurveyKind, Theme, Trigger

K = SurveyKind


def test_a_closed_tickets_ces_follows_its_csat_in_one_message() -> None:
    assert plan(Trigger.SUPPORT, ("csat", "ces")) == (
        Question(K.CSAT, None),
        Question(K.CES, 0),
    )


@pytest.mark.parametrize("trigger", [Trigger.ONBOARDING, Trigger.TRAINING, Trigger.RENEWAL])
def test_other_events_ask_each_survey_on_its_own(trigger: Trigger) -> None:
    assert all(q.follows is None for q in plan(trigger, ("csat", "nps")))


def test_at_most_three_questions_counting_a_detractors_theme_choice() -> None:
    check_chain((K.CSAT, K.CES, K.NPS)[: MAX_QUESTIONS - 1])
    check_chain((K.CSAT, K.CES))
    with pytest.raises(ValueError, match="at most 3"):
        check_chain((K.CSAT, K.CES, K.NPS))  # 3 scales + the theme choice after the NPS
    with pytest.raises(ValueError, match="one scale"):
        check_chain((K.CSAT, K.CSAT))


@pytest.mark.parametrize(
    ("kind", "score", "asked"),
    [
        ("nps", 0, True),
        ("nps", 6, True),
        ("nps", 7, False),
        ("nps", 10, False),
        ("csat", 1, False),
        ("ces", 1, False),
        ("nps", None, False),
    ],
)
def test_only_an_nps_detractor_is_asked_what_disappointed_them(
    kind: str, score: int | None, asked: bool
) -> None:
    assert asks_theme(kind, score) is asked


def test_the_theme_choices_are_the_customer_facing_themes() -> None:
    assert Theme.PRAISE not in THEME_CHOICES and Theme.COMPETITOR not in THEME_CHOICES
    assert theme_choice("slow support") is Theme.SLOW_SUPPORT
    assert theme_choice("praise") is None and theme_choice("") is None
