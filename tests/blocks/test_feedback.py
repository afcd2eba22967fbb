"""Block Kit for /voc's feedback: valid, escaped and within Slack's limits whatever the text."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from blocks.feedback import account_options, confirmation, fit, fit_quote, log_modal, themes_modal
from blocks.surveys import to_dicts
from bot.devkit.emulator import validate_blocks, validate_view
from bot.domain.records import AccountSummary
from bot.domain.reports import LoggedInsight

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
NASTY = "<!channel> & <@U1> " + "&" * 3000 + "\n> x" * 500


def _insight(text: str = NASTY, **extra: object) -> LoggedInsight:
    fields: dict[str, object] = {
        "id": 7,
        "account": "<!here> & Co" * 40,
        "type": "feature request",
        "source": "call",
        "sentiment": "neutral",
        "text": text,
        "themes": ("missing feature",),
        "feature": "&" * 200,
        "competitor": "<b>" * 70,
    }
    return LoggedInsight(**(fields | extra))  # type: ignore[arg-type]


def test_the_log_modal_is_valid_and_has_every_field() -> None:
    view = log_modal('{"response_url": "https://hooks.slack.com/x"}').to_dict()
    assert validate_view(view) == []
    ids = [b["block_id"] for b in view["blocks"]]
    assert ids == [
        "voc.account",
        "voc.source",
        "voc.type",
        "voc.text",
        "voc.sentiment",
    ]
    sources = [o["value"] for o in view["blocks"][1]["element"]["options"]]
    assert "survey" not in sources and view["blocks"][1]["element"]["initial_option"]
    assert view["blocks"][3]["element"]["max_length"] == 3000
    for insight_type, extra, optional in (
        ("feature request", "voc.feature", True),
        ("competitor", "voc.competitor", False),
    ):
        redrawn = log_modal("", insight_type).to_dict()
        assert validate_view(redrawn) == []
        assert redrawn["blocks"][-1]["block_id"] == extra
        assert redrawn["blocks"][-1]["optional"] is optional
        assert redrawn["blocks"][2]["element"]["initial_option"]["value"] == insight_type


def test_the_confirmation_escapes_and_fits_whatever_was_typed() -> None:
    blocks = to_dicts(confirmation(_insight()))
    assert validate_blocks(blocks, limit=50) == []
    shown = json.dumps(blocks)
    assert "<!channel>" not in shown and "<@U1>" not in shown and "<!here>" not in shown
    assert "<b>" not in shown
    [button] = blocks[-1]["elements"]
    assert (button["action_id"], button["value"]) == ("voc.edit_themes.7", "7")


def test_fit_and_fit_quote_stay_within_their_limits() -> None:
    for text in (NASTY, "&" * 5000, "a\n" * 4000, "", "plain"):
        assert len(fit(text, 200)) <= 200
        assert len(fit_quote(text, 3000)) <= 3000
        assert "<" not in fit(text, 200) + fit_quote(text, 3000)
    assert fit("Acme & Co", 200) == "Acme &amp; Co"


def test_the_themes_modal_preselects_current_themes() -> None:
    view = themes_modal(_insight(themes=("pricing", "praise")), '{"insight": 7}').to_dict()
    assert validate_view(view) == []
    initial = view["blocks"][-1]["element"]["initial_options"]
    assert [o["value"] for o in initial] == ["pricing", "praise"]


def test_account_options_are_capped_and_short() -> None:
    accounts = [AccountSummary(id=n, name=f"{'Long name ' * 10}{n}") for n in range(150)]
    options = account_options(accounts)
    assert len(options) == 100
    assert all(len(o["text"]["text"]) <= 75 for o in options)  # type: ignore[index]
