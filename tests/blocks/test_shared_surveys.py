from __future__ import annotations

import json

import pytest

from blocks.shared_surveys import (
    parse_rating_value,
    rating_value,
    shared_survey_blocks,
    shared_survey_text,
)
from bot.devkit.emulator import validate_blocks
from bot.domain.cards import SharedSurveyCard

CARD = SharedSurveyCard((11, 12), ("U0MIA", "U0LEE"), "nps", "relationship", None, answered=1)


def test_the_post_names_who_is_asked_and_counts_answers_without_a_score() -> None:
    blocks = shared_survey_blocks(CARD)
    shown = json.dumps(blocks)
    assert validate_blocks(blocks, limit=50) == []
    assert "<@U0MIA>, <@U0LEE>" in shown and "1 of 2 answered" in shown
    assert "Your score is private" in shown
    values = [e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert values == [f"11,12:{score}" for score in range(11)]
    assert shared_survey_text(CARD).startswith("How likely are you to recommend")


def test_a_closed_post_has_no_buttons_and_says_how_many_answered() -> None:
    closed = SharedSurveyCard((11, 12), ("U0MIA", "U0LEE"), "csat", "support", "ms-MY", 2, True)
    shown = json.dumps(shared_survey_blocks(closed))
    assert "survey.shared.rate." not in shown
    assert "2 daripada 2 telah menjawab" in shown


def test_thirty_people_fit_in_a_button_value() -> None:
    many = SharedSurveyCard(tuple(range(10**8, 10**8 + 30)), ("U1",) * 30, "nps", "relationship")
    assert validate_blocks(shared_survey_blocks(many), limit=50) == []


@pytest.mark.parametrize("value", ["", ":5", "a,b:5", "11,12:x", "11,12"])
def test_malformed_values_are_refused(value: str) -> None:
    assert parse_rating_value(value) is None


def test_values_round_trip() -> None:
    assert parse_rating_value(rating_value((11, 12), 7)) == ([11, 12], 7)
