"""Block Kit for /voc's reports (timeline, notices, help, requests): valid and escaped."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from blocks.reports import (
    event_summary,
    help_blocks,
    notice,
    nps_blocks,
    requests_blocks,
    timeline_blocks,
)
from blocks.surveys import to_dicts
from bot.devkit.emulator import validate_blocks
from bot.domain.figures import RequestRank
from bot.domain.records import AccountSummary, CrmSynced
from bot.domain.reports import CaseFacts, Event, InsightFacts, NpsReport, ScoreFacts, Timeline
from bot.domain.scores import ScoreSplit
from bot.domain.verdicts import parse_bands

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
BUG = InsightFacts("bug", "call", survey_comment=False, themes=())
NASTY = "<!channel> & <@U1> " + "&" * 3000 + "\n> x" * 500


def test_a_long_timeline_stays_under_fifty_blocks() -> None:
    events = [
        Event(NOW - timedelta(days=n), "insight", BUG, NASTY, insight_id=n) for n in range(60)
    ]
    account = AccountSummary(id=1, name="<!channel>" * 30, arr=5000.0, segment="smb")
    blocks = to_dicts(timeline_blocks(Timeline(account, events), now=NOW))
    assert len(blocks) == 50 and validate_blocks(blocks, limit=50) == []
    assert "older entries not shown" in json.dumps(blocks)
    assert "<!channel>" not in json.dumps(blocks[1:])  # the header is plain text


def test_notices_help_and_requests_are_valid() -> None:
    ranked = [RequestRank(1, "<!channel> SSO", "open", 2, 40_000.0, 3)]
    for blocks in (notice(NASTY), help_blocks(), requests_blocks(ranked), requests_blocks([])):
        dicts = to_dicts(blocks)
        assert validate_blocks(dicts, limit=50) == []
        assert "<!channel>" not in json.dumps(dicts)
    [line] = to_dicts(requests_blocks(ranked))
    assert "$40,000 ARR · 2 accounts · 3 mentions" in line["text"]["text"]


def test_each_timeline_event_is_worded_from_its_facts() -> None:
    said = [
        event_summary(Event(NOW, "score", ScoreFacts("nps", 3, "detractor", "Ana Lima"))),
        event_summary(Event(NOW, "case", CaseFacts("nps", 3, None))),
        event_summary(Event(NOW, "case", CaseFacts("csat", 2, "no_response"))),
        event_summary(Event(NOW, "case", CaseFacts("health", 35, "recovered"))),
        event_summary(Event(NOW, "insight", BUG)),
        event_summary(Event(NOW, "insight", InsightFacts("other", "call", True, ("pricing",)))),
    ]
    assert said == [
        "NPS 3 (detractor) from Ana Lima",
        "Follow-up on NPS 3 (no outcome yet)",
        "Follow-up on CSAT 2 (outcome: no response)",
        "Health case at 35 (outcome: recovered)",
        "bug via call · themes: none",
        "survey comment · themes: pricing",
    ]


def test_the_timeline_says_when_the_crm_last_synced_the_account() -> None:
    synced = CrmSynced("HubSpot", NOW)
    account = AccountSummary(id=1, name="Acme", segment="smb", synced=synced)
    blocks = to_dicts(timeline_blocks(Timeline(account, []), now=NOW))
    assert validate_blocks(blocks, limit=50) == []
    assert "smb · Synced from HubSpot <!date^" in blocks[1]["elements"][0]["text"]


def test_voc_nps_and_the_account_timeline_carry_the_verdict() -> None:
    report = NpsReport(None, "Acme", ScoreSplit(6, 2, 2), ScoreSplit(5, 3, 2))
    assert "last 90 days: +40, good*" in json.dumps([b.to_dict() for b in nps_blocks(report)])
    account = AccountSummary(1, "Acme", "enterprise", "Scale", 1000.0, "green")
    found = Timeline(account, [], nps=ScoreSplit(6, 2, 2), bands=parse_bands("nps_good=45"))
    shown = json.dumps([b.to_dict() for b in timeline_blocks(found, now=NOW)], ensure_ascii=False)
    assert "NPS (90 days): +40, fair, from 10 answers" in shown
