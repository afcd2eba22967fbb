"""The follow-ups' blocks: each type drawn as Slack takes it, answers shown escaped."""

from __future__ import annotations

import json
from dataclasses import replace

from blocks.question_sets import followup_blocks, page_fields, set_preview
from bot.domain.question_sets import FollowUpCard, check_set

SET = replace(
    check_set(
        "mixed",
        {
            "trigger": "renewal",
            "metric": "ces",
            "questions": [
                {"key": "ok", "type": "yes_no", "text": "Fixed <for good>?"},
                {"key": "how", "type": "rating", "text": "How confident are you with {product}?"},
                {
                    "key": "why",
                    "type": "choice",
                    "text": {"en": "Why?", "ms": "Kenapa?"},
                    "options": [{"en": "Price", "ms": "Harga"}, "Support"],
                },
                {"key": "note", "type": "text", "text": "Anything else?"},
            ],
        },
    ),
    version=3,
    set_id=7,
)


def test_each_type_is_drawn_with_its_values_and_the_product_filled_in() -> None:
    shown = json.dumps(followup_blocks(FollowUpCard(11, SET, "en", product="Acme")))
    assert "Fixed &lt;for good&gt;?" in shown
    assert '"11:7:ok:yes"' in shown and '"11:7:ok:no"' in shown
    assert '"11:7:how:5"' in shown and "How confident are you with Acme?" in shown
    assert '"11:7:why:1"' in shown and '"11:7:why:2"' in shown and "static_select" in shown
    assert '"followup.text.11.7.note"' in shown and '"dispatch_action": true' in shown


def test_answers_replace_their_controls_in_the_respondents_language() -> None:
    card = FollowUpCard(11, SET, "ms-MY", answers={"ok": "yes", "why": "1", "note": "<!here>"})
    shown = json.dumps(followup_blocks(card))
    assert "Ya" in shown and "Harga" in shown and "&lt;!here&gt;" in shown
    assert "11:7:ok:" not in shown and "followup.text." not in shown
    assert "11:7:how:1" in shown  # the one unanswered question keeps its buttons


def test_no_set_no_blocks_and_the_page_and_preview_list_each_question() -> None:
    assert followup_blocks(None) == []
    fields = page_fields(FollowUpCard(11, SET, "en", answers={"ok": "no"}))
    assert fields is not None and fields["set_id"] == 7
    assert [q["key"] for q in fields["questions"]] == ["how", "why", "note"]  # type: ignore[index]
    preview = set_preview(SET, product="Acme")
    assert "mixed v3: renewal, CES + ok, how, why, note" in preview
    assert "ms: Kenapa?" in preview and "2) Support" in preview
