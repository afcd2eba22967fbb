"""Health as people read it: the case card in #voc, App Home's list, `/voc account`."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from blocks.digest import digest_blocks, digest_text
from blocks.health import health_case_blocks, health_case_text, score_line
from blocks.home import home_view
from blocks.reports import timeline_blocks
from blocks.surveys import to_dicts
from bot.devkit.emulator import validate_blocks
from bot.domain.health import HealthMover, HealthSummary
from bot.domain.records import AccountNps, AccountSummary, CaseCounts
from bot.domain.reports import Timeline
from bot.domain.scores import ScoreSplit
from tests.blocks.test_home import _home

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def test_score_lines_with_arrows_and_bands() -> None:
    assert score_line(35, -20) == "35 ↓ −20 (at risk)"
    assert score_line(72, 4) == "72 ↑ +4 (healthy)"
    assert score_line(55, 0) == "55 → (watch)"
    assert score_line(55, None) == "55 (watch)"
    assert score_line(None, None) == "no score yet"


def test_the_case_card_names_the_csm_and_says_why_escaped() -> None:
    blocks = to_dicts(
        health_case_blocks("<!channel> Acme", 35, -20, "NPS 9 → 4 (−12)", "UCSM", case_id=7)
    )
    assert validate_blocks(blocks, limit=50) == []
    text = json.dumps(blocks, ensure_ascii=False)
    assert "<!channel>" not in text and "&lt;!channel&gt; Acme" in text
    assert "fell to 35 (−20)" in text and "NPS 9 → 4 (−12)" in text and "<@UCSM>" in text
    assert [e["action_id"] for e in blocks[-1]["elements"]] == ["health.claim", "health.close"]
    claimed = to_dicts(
        health_case_blocks("Acme", 35, -20, None, "UCSM", case_id=7, claimed_by="U2")
    )
    assert "<@U2> is on it" in json.dumps(claimed)
    assert [e["action_id"] for e in claimed[-1]["elements"]] == ["health.close"]
    assert health_case_text("Acme", 38, None) == "Health of Acme fell to 38: needs a follow-up"


def test_app_home_lists_my_accounts_by_health_with_arrows() -> None:
    home = _home(
        accounts=[AccountNps("Acme", ScoreSplit(1, 0, 0))],
        book=ScoreSplit(1, 0, 0),
        owned=2,
        counts=CaseCounts(0, 0),
        health=[HealthMover(1, "Acme", 35, -20), HealthMover(2, "Beta", 80, 3)],
    )
    text = json.dumps(home_view(home).to_dict(), ensure_ascii=False)
    assert "Your accounts' health" in text
    assert text.index("Acme: 35 ↓ −20 (at risk)") < text.index("Beta: 80 ↑ +3 (healthy)")


def test_voc_account_shows_the_score_why_and_the_crm_label() -> None:
    account = AccountSummary(
        id=1, name="Acme", health="yellow", health_score=61, health_change=-19,
        health_why="NPS 9 → 4 (−12)",
    )  # fmt: skip
    blocks = to_dicts(timeline_blocks(Timeline(account, []), now=NOW))
    assert validate_blocks(blocks, limit=50) == []
    text = json.dumps(blocks, ensure_ascii=False)
    assert "CRM health: yellow" in text
    assert "*Health 61 ↓ −19 (watch)* — NPS 9 → 4 (−12)" in text


def test_the_digest_lists_the_weeks_movers_with_why() -> None:
    from tests.blocks.test_digest import _digest

    summary = HealthSummary(
        bands={"at risk": 1, "healthy": 1},
        falls=[HealthMover(1, "<!here> Acme", 35, -20, "NPS 9 → 4 (−12)")],
        rises=[HealthMover(2, "Beta", 80, 6)],
        scored=2,
    )
    blocks = to_dicts(digest_blocks(_digest(health=summary)))
    assert validate_blocks(blocks, limit=50) == []
    text = json.dumps(blocks, ensure_ascii=False)
    assert "Account health movers (week)" in text and "<!here>" not in text
    assert "Fell: &lt;!here&gt; Acme 35 (−20): NPS 9 → 4 (−12)" in text
    assert "Rose: Beta 80 (+6)" in text
    assert "Fell: Acme" in digest_text(_digest(health=replace(summary, falls=[
        HealthMover(1, "Acme", 35, -20)
    ])))  # fmt: skip
    quiet = json.dumps(to_dicts(digest_blocks(_digest(health=HealthSummary()))))
    assert "movers" not in quiet


def test_a_case_card_shows_the_score_beside_the_crm_label() -> None:
    from tests.blocks.test_cases import _card, _field, _render

    card = replace(_card(), health_score=35, health_change=-20)
    assert _field(_render(card), "Health") == "35 ↓ −20 (at risk)\nCRM: :red_circle: Red"
    assert _field(_render(replace(card, health=None)), "Health") == "35 ↓ −20 (at risk)"
