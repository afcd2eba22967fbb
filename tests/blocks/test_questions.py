from __future__ import annotations

import json

import pytest

from blocks.catalog import CATALOG
from blocks.questions import chain_blocks, survey_message, theme_blocks, theme_label
from blocks.surveys import to_dicts
from bot.devkit.emulator import validate_blocks
from bot.domain.cards import SurveyCard
from bot.domain.questions import THEME_CHOICES, ChainCard


def _chain(ces_score: int | None, *, comment: str | None = None, closed: str | None = None):
    csat = SurveyCard(1, "csat", "support", "en", 4, comment)
    return ChainCard((csat, SurveyCard(2, "ces", "support", "en", ces_score)), closed)


def test_the_ces_is_asked_under_the_answered_csat_with_its_own_scale() -> None:
    blocks = chain_blocks(_chain(None))
    assert validate_blocks(blocks, limit=50) == []
    text = json.dumps(blocks)
    assert "support you received" in text and "*4*" in text and "issue resolved" in text
    values = [e.get("value") for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert [v for v in values if v and ":" in v] == [f"2:{n}" for n in range(1, 8)]
    assert "survey.tell_why" in text and len({b.get("block_id") for b in blocks}) == len(
        [b for b in blocks if b.get("block_id")]
    ) + (1 if any(not b.get("block_id") for b in blocks) else 0)


def test_both_answers_then_the_comment_escaped() -> None:
    blocks = chain_blocks(_chain(6, comment="<@U1> & co"))
    assert validate_blocks(blocks, limit=50) == []
    text = json.dumps(blocks)
    assert "*6*" in text and "&lt;@U1&gt; &amp; co" in text
    assert "survey.rate." not in text and "survey.tell_why" not in text


def test_an_expired_ces_is_shown_closed_under_the_csat_answer() -> None:
    text = json.dumps(chain_blocks(_chain(None, closed="expired")))
    assert "*4*" in text and "This survey has closed" in text and "survey.rate." not in text


@pytest.mark.parametrize("locale", ["en", "ms-MY"])
def test_a_detractor_gets_the_theme_menu_in_their_language(locale: str) -> None:
    card = SurveyCard(7, "nps", "relationship", locale, 3)
    blocks = survey_message(card, chain=None, offers=[], review_url=None)
    assert validate_blocks(blocks, limit=50) == []
    [menu] = [b["accessory"] for b in blocks if b.get("block_id") == "survey.theme"]
    assert [o["value"] for o in menu["options"]] == [f"7:{t}" for t in THEME_CHOICES]
    labels = [o["text"]["text"] for o in menu["options"]]
    assert labels == [theme_label(locale, t) for t in THEME_CHOICES]
    assert all(len(label) <= 75 for label in labels)
    question = "Apakah yang paling" if locale.startswith("ms") else "What disappointed you most?"
    assert question in json.dumps(blocks)


def test_every_theme_choice_has_an_english_and_a_malay_label() -> None:
    for theme in THEME_CHOICES:
        key = f"theme.{theme.name.lower()}"
        assert (
            CATALOG["en"][key] and CATALOG["ms"][key] and CATALOG["en"][key] != CATALOG["ms"][key]
        )


def test_the_choice_replaces_the_menu_and_a_comment_alone_drops_it() -> None:
    chosen = to_dicts(theme_blocks(SurveyCard(7, "nps", "relationship", "en", 3, theme="pricing")))
    assert "What disappointed you most: *Price or value*" in json.dumps(chosen)
    assert theme_blocks(SurveyCard(7, "nps", "relationship", "en", 3, comment="meh")) == []
    assert theme_blocks(SurveyCard(7, "nps", "relationship", "en", 9)) == []
