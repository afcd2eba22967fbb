from __future__ import annotations

from datetime import UTC, datetime

from blocks.cases import case_blocks
from blocks.surveys import comment_modal, survey_blocks, to_dicts
from bot.devkit.render import render_blocks, render_view, unescape
from bot.domain.cards import CaseCard, SurveyCard


def test_a_survey_reads_as_its_question_and_buttons() -> None:
    text = render_blocks(to_dicts(survey_blocks(SurveyCard(1, "nps", "relationship"))))
    assert "How likely are you to recommend" in text
    assert "[0] [1] [2]" in text and "[10]" in text


def test_escaped_user_text_reads_as_typed_but_never_as_a_mention() -> None:
    assert unescape("Fix it &lt;!channel&gt; &amp; now") == "Fix it <!channel> & now"
    assert unescape("<@U123> owns <https://x.test|the report>") == "@U123 owns the report"
    assert unescape("*Account* is *big* but 2*3*4 stays") == "Account is big but 2*3*4 stays"


def test_a_modal_shows_title_inputs_and_submit() -> None:
    view = comment_modal(SurveyCard(7, "nps", "relationship", score=3)).to_dict()
    lines = render_view(view).splitlines()
    assert lines[0] == "« Tell us why »"
    assert "What is the main reason for your score?" in lines[1] and "[________]" in lines[1]
    assert lines[-1] == "[Cancel] [Send]"


def test_fields_pair_up_and_context_joins() -> None:
    blocks = [
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": t} for t in ("*a*\n1", "b", "c")],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}] * 2},
        {"type": "divider"},
    ]
    assert render_blocks(blocks).splitlines() == ["a 1 · b", "c", "x · x", "─" * 40]


def test_a_case_card_shows_the_comment_escaped_and_its_buttons() -> None:
    card = CaseCard(
        case_id=1,
        kind="nps",
        score=3,
        previous_score=8,
        review="csm",
        contact_name="Ana",
        contact_email="ana@acme.test",
        account_name="Acme & Sons",
        segment="smb",
        arr=1000.0,
        plan=None,
        customer_since=None,
        health="red",
        csm_user_id="UCSM",
        comment="<!channel> slow",
        answered_at=datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
    )
    text = render_blocks(to_dicts(case_blocks(card, now=card.answered_at)))
    assert "Acme & Sons" in text and "<!channel> slow" in text
    assert "[Claim]" in text


def test_the_apps_emoji_are_drawn_not_shown_as_shortcodes() -> None:
    assert unescape("Health :large_yellow_circle: Yellow") == "Health 🟡 Yellow"
    assert unescape(":rocket: shipped") == "🚀 shipped"
    assert unescape("time 09:30:00 :not_an_app_emoji:") == "time 09:30:00 :not_an_app_emoji:"


def test_every_emoji_shortcode_the_product_writes_is_drawn() -> None:
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    shortcode = re.compile(r"(?<![\w:/]):([a-z][a-z0-9_+-]*):(?![\w/])")
    sources = [
        path
        for folder in ("blocks", "bot", "handlers")
        for path in (root / folder).rglob("*.py")
        if "devkit" not in path.parts
    ]
    used = {code for path in sources for code in shortcode.findall(path.read_text())}
    assert {"white_circle", "large_yellow_circle"} <= used
    assert [code for code in sorted(used) if unescape(f":{code}:") == f":{code}:"] == []
