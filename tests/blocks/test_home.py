from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from blocks.home import HomeTab, home_view
from bot.devkit.emulator import validate_view
from bot.domain.records import AccountNps, CaseCounts, CrmSynced, HomeCase
from bot.domain.scores import ScoreSplit

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _case(i: int, **changes) -> HomeCase:
    fields = dict(
        id=i, account=f"Account {i}", kind="nps", score=3, opened_at=NOW - timedelta(hours=5),
        claimed_by=None, overdue=False, channel="CVOC", message_ts="1.0",
    )  # fmt: skip
    fields.update(changes)
    return HomeCase(**fields)


def _home(**changes) -> HomeTab:
    fields = dict(
        user_id="U1", now=NOW, cases=[], counts=CaseCounts(0, 0), accounts=[],
        book=ScoreSplit(), owned=0,
    )  # fmt: skip
    fields.update(changes)
    return HomeTab(**fields)


def test_within_home_tab_limits_however_much_there_is() -> None:
    name = "<!here> & " + "x" * 400
    home = _home(
        cases=[_case(i, account=name, overdue=i % 2 == 0) for i in range(500)],
        counts=CaseCounts(900, 250),
        accounts=[AccountNps(name, ScoreSplit(i, 1, 1)) for i in range(500)],
        book=ScoreSplit(100, 20, 30),
        owned=500,
    )
    view = home_view(home).to_dict()
    assert len(view["blocks"]) <= 100
    assert validate_view(view) == []
    shown = json.dumps(view, ensure_ascii=False)
    assert "<!here>" not in shown and "&lt;!here&gt; &amp;" in shown
    assert "900 open, 250 overdue" in shown and "…and 400 more" in shown


def test_cases_say_who_owns_them_and_how_old_they_are() -> None:
    home = _home(
        cases=[
            _case(1, overdue=True, claimed_by="U1", opened_at=NOW - timedelta(days=3)),
            _case(2, claimed_by="U2"),
            _case(3),
        ],
        counts=CaseCounts(3, 1),
    )
    shown = json.dumps(home_view(home).to_dict(), ensure_ascii=False)
    assert ":warning: *overdue* · *Account 1*: NPS 3, answered 3d ago, claimed by you" in shown
    assert "*Account 2*: NPS 3, answered 5h ago, claimed by <@U2>" in shown
    assert "*Account 3*: NPS 3, answered 5h ago, unclaimed" in shown


def test_account_nps_marks_small_groups_and_has_the_log_feedback_button() -> None:
    home = _home(
        accounts=[AccountNps("Acme", ScoreSplit(9, 3, 2)), AccountNps("Tiny", ScoreSplit(1, 0, 0)),
                  AccountNps("Quiet", ScoreSplit())],
        book=ScoreSplit(10, 3, 2),
        owned=3,
    )  # fmt: skip
    view = home_view(home).to_dict()
    shown = json.dumps(view, ensure_ascii=False)
    assert "Acme: +50, excellent (n=14)" in shown and "Tiny: too few to read (n=1)" in shown
    assert "Quiet: no answers" in shown and "+53, excellent (n=15) across 3 accounts" in shown
    buttons = [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == ["voc_log_feedback"]


def test_app_home_says_when_the_crm_last_synced_each_account() -> None:
    synced = CrmSynced("Salesforce", NOW - timedelta(hours=1))
    home = _home(
        accounts=[
            AccountNps("Acme", ScoreSplit(9, 3, 2), synced),
            AccountNps("Tiny", ScoreSplit()),
        ],
        owned=2,
    )
    view = home_view(home).to_dict()
    assert validate_view(view) == []
    text = json.dumps(view)
    assert "_Synced from Salesforce <!date^" in text
    assert text.count("Synced from") == 1
