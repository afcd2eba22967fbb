"""Health as people read it: the case card in #voc, App Home's list, `/voc account`."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from blocks.cases import case_blocks, case_text, escalation_text
from blocks.digest import digest_blocks, digest_text
from blocks.health import health_case_text, score_line
from blocks.home import home_view
from blocks.reports import timeline_blocks
from blocks.surveys import to_dicts
from bot.devkit.emulator import validate_blocks
from bot.domain.cards import CaseCard
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


def _health_card(**changes: Any) -> CaseCard:
    card = CaseCard(
        case_id=7, kind="health", score=35, previous_score=None, review="csm",
        contact_name=None, contact_email="", account_name="<!channel> Acme", segment=None,
        arr=None, plan=None, customer_since=None, health="red", csm_user_id="UCSM",
        comment=None, answered_at=NOW, health_score=35, health_change=-20,
        why="NPS 9 → 4 (−12), <b>3 tickets</b> this week (−6)", score_change=-20,
    )  # fmt: skip
    return replace(card, **changes)


def test_the_health_case_card_is_the_loops_card_with_the_score_and_why_escaped() -> None:
    blocks = to_dicts(case_blocks(_health_card(), now=NOW))
    assert validate_blocks(blocks, limit=50) == []
    text = json.dumps(blocks, ensure_ascii=False)
    assert "<!channel>" not in text and "&lt;!channel&gt; Acme" in text
    assert "Health 35 · −20 · at risk" in text and "NPS 9 → 4 (−12)" in text
    assert "&lt;b&gt;3 tickets&lt;/b&gt;" in text and "<@UCSM>" in text
    assert "Contact" not in text and "Answered" not in text and "Opened" in text
    # the same buttons as an answer's case: Claim and Log follow-up, then Release
    assert [e["action_id"] for e in blocks[-1]["elements"]] == ["case.claim", "case.log"]
    claimed = to_dicts(case_blocks(_health_card(claimed_by="U2", claimed_at=NOW), now=NOW))
    assert "Claimed by <@U2>" in json.dumps(claimed)
    assert [e["action_id"] for e in claimed[-1]["elements"]] == ["case.release", "case.log"]
    card = _health_card(account_name="Acme")
    assert case_text(card) == "Health of Acme fell to 35 (−20): needs a follow-up"
    assert health_case_text("Acme", 38, None) == "Health of Acme fell to 38: needs a follow-up"
    reminder = escalation_text(
        card, step=1, max_steps=3, mention="UCSM", overdue_by=timedelta(hours=49)
    )
    assert reminder.startswith("<@UCSM> Reminder 1 of 3: no follow-up logged 49h after the")
    assert "health case opened" in reminder


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
