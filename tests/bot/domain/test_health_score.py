"""The health formula on accounts worked out by hand, and its explanation in words."""

from __future__ import annotations

import pytest

from bot.domain.health_score import (
    DEFAULT_WEIGHTS,
    HealthInputs,
    arrow,
    explain,
    movements,
    parse_weights,
    score_account,
)


def test_an_account_worked_out_by_hand() -> None:
    # nps 20 → 0.6, trend +20 → 0.7, CSAT 4.0 → 0.75, one open case → 0.85, no signal →
    # 0.5, 4 of 10 answered → 0.4; no usage: weights 30+10+15+15+10+10 = 90.
    # (30·0.6 + 10·0.7 + 15·0.75 + 15·0.85 + 10·0.5 + 10·0.4) / 90 = 58 / 90 → 64
    inputs = HealthInputs(1, nps=20, nps_before=0, csat=4.0, open_cases=1, asks=10, answers=4)
    scored = score_account(inputs, DEFAULT_WEIGHTS)
    assert scored is not None
    assert scored.score == 64
    assert round(scored.components["nps"].points, 2) == 20.0  # 100 · 30 · 0.6 / 90
    assert scored.components["engagement"].shown == "40% answered"


def test_usage_support_and_signals_count_when_provided() -> None:
    # nps −100 → 0, CES 7 → 1, 2 open (1 overdue) → 1 − 0.3 − 0.25 = 0.45, one churn
    # signal → 0.25, usage half of usual → 0.5, 5 tickets → 0.5.
    # (30·0 + 15·1 + 15·0.45 + 10·0.25 + 5·0.5 + 5·0.5) / (30+15+15+10+5+5) = 29.25/80 → 37
    inputs = HealthInputs(
        2, nps=-100, ces=7.0, open_cases=2, overdue_cases=1, churn_signals=1,
        usage=50.0, usage_before=100.0, tickets=5.0,
    )  # fmt: skip
    scored = score_account(inputs, DEFAULT_WEIGHTS)
    assert scored is not None and scored.score == 37
    assert scored.components["support"].shown == "5 tickets this week"


def test_an_account_without_data_has_no_score() -> None:
    assert score_account(HealthInputs(3), DEFAULT_WEIGHTS) is None


def test_weights_are_tuned_by_name_and_a_wrong_one_is_named() -> None:
    assert parse_weights("nps=50, usage=0")["nps"] == 50
    assert parse_weights("")["cases"] == DEFAULT_WEIGHTS["cases"]
    with pytest.raises(ValueError, match="names: nps"):
        parse_weights("mood=5")
    only_cases = parse_weights(",".join(f"{n}=0" for n in DEFAULT_WEIGHTS) + ",cases=1")
    scored = score_account(HealthInputs(4, nps=90, open_cases=2), only_cases)
    assert scored is not None and scored.score == 70  # 1 − 2·0.15


def test_the_three_components_that_moved_most_in_words() -> None:
    before = {"nps": (27.0, "NPS 9"), "cases": (15.0, "0 open cases"), "signals": (5.0, "x")}
    now = {
        "nps": (15.0, "NPS 4"),
        "cases": (9.0, "3 open cases"),
        "signals": (5.0, "x"),
        "support": (2.0, "3 tickets this week"),
    }
    moved = movements(now, before)
    assert [m.name for m in moved] == ["nps", "cases", "support"]
    assert explain(moved) == (
        "NPS 9 → 4 (−12), 0 open cases → 3 open cases (−6), 3 tickets this week (+2)"
    )
    assert explain(movements(now, now)) == ""


def test_arrows() -> None:
    assert (arrow(5), arrow(-1), arrow(0), arrow(None)) == ("↑", "↓", "→", "→")
