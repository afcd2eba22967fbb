from __future__ import annotations

import json

import pytest

from blocks.ids import RATE_ACTION, ActionId, CallbackId
from blocks.surveys import (
    SurveyCard,
    answered_blocks,
    closed_blocks,
    comment_modal,
    survey_blocks,
    to_dicts,
)


def _buttons(blocks: list[dict]) -> list[dict]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


@pytest.mark.parametrize(("kind", "count"), [("nps", 11), ("csat", 5), ("ces", 7)])
def test_one_button_per_score(kind: str, count: int) -> None:
    blocks = to_dicts(survey_blocks(SurveyCard(42, kind, "relationship")))
    rating = [b for b in _buttons(blocks) if RATE_ACTION.match(b["action_id"])]
    assert len(rating) == count
    assert len({b["action_id"] for b in rating}) == count  # unique within the block
    assert all(b["value"].startswith("42:") for b in rating)
    assert any(b["action_id"] == ActionId.OPT_OUT and "confirm" in b for b in _buttons(blocks))


def test_nps_question_wording() -> None:
    text = json.dumps(to_dicts(survey_blocks(SurveyCard(1, "nps", "relationship"))))
    assert "How likely are you to recommend us to a friend or colleague?" in text
    assert "0 = not at all likely" in text and "10 = extremely likely" in text


def test_answered_message_shows_score_and_tell_us_why_without_rating_buttons() -> None:
    blocks = to_dicts(answered_blocks(SurveyCard(7, "nps", "relationship", score=3)))
    text = json.dumps(blocks)
    assert "*3*" in text
    ids = [b["action_id"] for b in _buttons(blocks)]
    assert ActionId.TELL_WHY in ids
    assert not any(RATE_ACTION.match(i) for i in ids)


def test_comment_is_shown_escaped_and_replaces_the_button() -> None:
    card = SurveyCard(7, "nps", "relationship", score=3, comment="<!channel> & <@U123> slow")
    blocks = to_dicts(answered_blocks(card))
    text = json.dumps(blocks)
    assert "<!channel>" not in text and "<@U123>" not in text
    assert "&lt;!channel&gt; &amp; &lt;@U123&gt; slow" in text
    assert ActionId.TELL_WHY not in [b["action_id"] for b in _buttons(blocks)]


def test_a_long_comment_stays_within_the_section_limit() -> None:
    card = SurveyCard(7, "nps", "relationship", score=3, comment="<" * 3000)
    for block in to_dicts(answered_blocks(card)):
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000


def test_closed_survey_has_no_buttons() -> None:
    for reason in ("expired", "opted_out"):
        blocks = to_dicts(closed_blocks(SurveyCard(7, "ces", "support"), reason=reason))
        assert _buttons(blocks) == []


def test_comment_modal_is_optional_and_carries_the_invitation() -> None:
    view = comment_modal(SurveyCard(99, "csat", "support", score=2)).to_dict()
    assert view["callback_id"] == CallbackId.COMMENT_MODAL
    assert view["private_metadata"] == "99"
    assert view["blocks"][0]["optional"] is True
    assert view["blocks"][0]["element"]["max_length"] == 3000
    assert len(view["title"]["text"]) <= 24


def test_malay_locale_is_used_and_others_fall_back_to_english() -> None:
    malay = json.dumps(to_dicts(survey_blocks(SurveyCard(1, "nps", "relationship", "ms-MY"))))
    french = json.dumps(to_dicts(survey_blocks(SurveyCard(1, "nps", "relationship", "fr-FR"))))
    assert "mengesyorkan" in malay
    assert "How likely" in french


@pytest.mark.parametrize(
    ("locale", "shown"), [("en-US", "*3* (out of 10)"), ("ms-MY", "*3* (daripada 10)")]
)
def test_a_middle_score_reads_as_out_of_the_scale(locale: str, shown: str) -> None:
    blocks = to_dicts(answered_blocks(SurveyCard(7, "nps", "relationship", locale, score=3)))
    assert shown in json.dumps(blocks, ensure_ascii=False)
    assert "3 / 10" not in json.dumps(blocks)
