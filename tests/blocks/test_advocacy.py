from __future__ import annotations

import json
from typing import Any

import pytest

from blocks.advocacy import OFFERS, advocacy_blocks, advocacy_done_blocks, csm_advocacy_text
from blocks.ids import ADVOCACY_ACTION, BlockId
from blocks.surveys import to_dicts
from bot.devkit.emulator import validate_blocks

REVIEW_URL = "https://reviews.example/acme?ref=slack"


def _render(blocks: list[Any]) -> list[dict[str, Any]]:
    rendered = to_dicts(blocks)
    assert validate_blocks(rendered, limit=50) == []
    return rendered


def _buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_offer_has_a_thank_you_and_three_buttons() -> None:
    blocks = _render(advocacy_blocks(17, None, REVIEW_URL))
    assert blocks[0]["text"]["text"] == "Thank you! Would you help us spread the word?"
    [actions] = [b for b in blocks if b["type"] == "actions"]
    assert actions["block_id"] == BlockId.ADVOCACY
    buttons = actions["elements"]
    assert [b["action_id"] for b in buttons] == [f"advocacy.{offer}" for offer in OFFERS]
    assert all(ADVOCACY_ACTION.match(b["action_id"]) for b in buttons)
    assert {b["value"] for b in buttons} == {"17"}
    assert buttons[0]["url"] == REVIEW_URL
    assert all("url" not in b for b in buttons[1:])


def test_review_button_is_omitted_without_a_url() -> None:
    buttons = _buttons(_render(advocacy_blocks(17, None, None)))
    assert [b["action_id"] for b in buttons] == ["advocacy.reference", "advocacy.testimonial"]


@pytest.mark.parametrize("locale", ["ms", "ms-MY", "ms_MY"])
def test_malay_offer(locale: str) -> None:
    blocks = _render(advocacy_blocks(17, locale, REVIEW_URL))
    assert blocks[0]["text"]["text"].startswith("Terima kasih!")
    labels = [b["text"]["text"] for b in _buttons(blocks)]
    assert labels == ["Tulis ulasan", "Jadi rujukan", "Beri testimoni"]


def test_other_locales_fall_back_to_english() -> None:
    blocks = _render(advocacy_blocks(17, "fr-FR", None))
    assert "spread the word" in blocks[0]["text"]["text"]


def test_done_says_what_they_said_yes_to() -> None:
    blocks = _render(advocacy_done_blocks(None, ["reference", "testimonial"]))
    text = json.dumps(blocks)
    assert _buttons(blocks) == []
    assert "Thank you" in text
    assert "being a reference and giving a testimonial" in text
    assert "leaving a review" not in text


def test_done_in_malay() -> None:
    text = json.dumps(
        _render(advocacy_done_blocks("ms-MY", ["review", "reference", "testimonial"]))
    )
    assert "Terima kasih" in text
    assert "menulis ulasan, menjadi rujukan dan memberi testimoni" in text
    assert "Thank you" not in text


def test_done_without_offers_only_thanks() -> None:
    blocks = _render(advocacy_done_blocks(None, []))
    assert len(blocks) == 1 and "Thank you" in blocks[0]["text"]["text"]


def test_csm_is_told_who_said_yes_to_what() -> None:
    text = csm_advocacy_text(
        contact_name="Ana",
        contact_email="ana@acme.test",
        account_name="Acme",
        score=10,
        offer="reference",
    )
    assert text == (
        "Ana (ana@acme.test) at Acme gave NPS 10 and said yes to being a reference. "
        "Reach out while it's warm."
    )


def test_csm_text_without_a_name_uses_the_email() -> None:
    text = csm_advocacy_text(
        contact_name=None,
        contact_email="ana@acme.test",
        account_name="Acme",
        score=9,
        offer="review",
    )
    assert text.startswith("ana@acme.test at Acme gave NPS 9 and said yes to leaving a review.")


def test_csm_text_is_escaped_and_short() -> None:
    hostile = "<!channel> & <@U1>" + "&" * 3000
    text = csm_advocacy_text(
        contact_name=hostile,
        contact_email=hostile,
        account_name=hostile,
        score=10,
        offer="testimonial",
    )
    assert "<!channel>" not in text and "<@U1>" not in text
    assert "&lt;!channel&gt; &amp; &lt;@U1&gt;" in text
    assert len(text) < 4000
