from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from blocks.digest import digest_blocks, digest_summary, digest_text, format_nps
from blocks.surveys import to_dicts
from bot.devkit.emulator import validate_blocks
from bot.domain.figures import (
    Digest,
    GroupNps,
    PeriodFigures,
    RequestRank,
    ResponseRate,
    ThemeCount,
    Verbatim,
    WeekNps,
    Window,
)
from bot.domain.scores import Average, CompletionRate, Rate, ScoreSplit

AS_OF = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
W = Window(AS_OF - timedelta(days=7), AS_OF)


def _figures(split: ScoreSplit, responses: int | None = None) -> PeriodFigures:
    return PeriodFigures(
        W,
        split,
        Average(18, 5),
        Average(10, 2),
        split.total if responses is None else responses,
        csat_satisfied=3,
        ces_easy=1,
    )


def _digest(**changes) -> Digest:
    fields = dict(
        as_of=AS_OF,
        today=AS_OF.date(),
        week=_figures(ScoreSplit(10, 4, 6), 26),
        previous_week=_figures(ScoreSplit(3, 1, 1)),
        quarter=_figures(ScoreSplit(13, 5, 9), 34),
        previous_quarter=_figures(ScoreSplit(4, 0, 1)),
        week_rate=ResponseRate(26, 100),
        quarter_rate=ResponseRate(34, 108),
        breakdowns={
            "segment": [
                GroupNps("enterprise", ScoreSplit(9, 3, 2)),
                GroupNps("(not set)", ScoreSplit(2, 0, 0)),
            ],
            "csm": [GroupNps("UCSM1", ScoreSplit(11, 4, 5))],
        },
        themes=[ThemeCount("slow support", 2, 4)],
        detractor_themes=[ThemeCount("slow support", 2, 2)],
        completion=CompletionRate(Rate(1, 4), {}, 2, 1),
        requests=[RequestRank(1, "SSO", "open", 2, 120000.0, 3)],
        verbatims=[Verbatim("nps", 7, "<!channel> pricing & <@U9>", "Initech", AS_OF)],
        trend=[WeekNps(AS_OF - timedelta(days=7), ScoreSplit(10, 4, 6))],
    )
    fields.update(changes)
    return Digest(**fields)


def _json(digest: Digest) -> str:
    return json.dumps(to_dicts(digest_blocks(digest)), ensure_ascii=False)


def test_the_figures_as_the_channel_reads_them() -> None:
    text = digest_text(_digest())
    for line in (
        "NPS, last 90 days: +15, fair, from 27 answers (▼ 45 on the 90 days before)",
        "NPS, last week: +20, fair, from 20 answers (▼ 20 on the week before)",
        "promoters 13 (48%), passives 5 (19%), detractors 9 (33%)",
        "B2B software typically sits between 20 and 60.",
        "Response rate, last week: 26%, healthy (26 of 100 people asked answered; healthy ≥ 20%)",
        "CSAT (90 days): 60% answered 4–5 of 5, mean 3.6, a problem, from 5 answers",
        "CES (90 days): 50% answered 5–7 of 7, mean 5.0, a problem, from 2 answers",
        "enterprise: +50 (n=14)",
        "(not set): too few to read (n=2)",
        "50% of comments mention slow support (2 of 4)",
        "100% of detractor comments mention slow support (2 of 2)",
        "Follow-up within 48h: 25%, below target (1 of 4 cases in 90 days; target ≥ 80%)",
        "Open cases: 2, overdue: 1",
        "1. SSO: $120,000 ARR, 2 accounts (open)",
    ):
        assert line in text, line
    blocks = _json(_digest())
    assert "<@UCSM1>: +30 (n=20)" in blocks
    assert "+20" in digest_summary(_digest())


def test_user_text_is_escaped_and_cannot_ping() -> None:
    blocks = _json(_digest())
    assert "&lt;!channel&gt; pricing &amp; &lt;@U9&gt;" in blocks
    assert "<!channel>" not in blocks and "<@U9>" not in blocks


def test_a_small_period_is_marked_and_not_compared() -> None:
    text = digest_text(
        _digest(week=_figures(ScoreSplit(1, 1, 1)), previous_week=_figures(ScoreSplit(1, 0, 0)))
    )
    assert "NPS, last week: too few answers to read (3; 5 needed)" in text
    small_before = digest_text(_digest(previous_week=_figures(ScoreSplit(1, 0, 0))))
    assert "+20, fair, from 20 answers (too few answers the week before to compare)" in small_before


def test_an_empty_digest_says_so_plainly() -> None:
    nothing = _figures(ScoreSplit(), 0)
    empty = _digest(
        week=nothing,
        previous_week=nothing,
        quarter=PeriodFigures(W, ScoreSplit(), Average(), Average(), 0),
        previous_quarter=nothing,
        week_rate=ResponseRate(0, 0),
        quarter_rate=ResponseRate(0, 0),
        breakdowns={},
        themes=[],
        detractor_themes=[],
        completion=CompletionRate(Rate(0, 0)),
        requests=[],
        verbatims=[],
    )
    for rendered in (digest_text(empty), _json(empty), digest_summary(empty)):
        assert "nan" not in rendered.lower() and "None" not in rendered
        assert "nothing to report" in rendered.lower()


def test_no_answers_but_surveys_sent_reads_plainly() -> None:
    nothing = PeriodFigures(W, ScoreSplit(), Average(), Average(), 0)
    text = digest_text(
        _digest(week=nothing, quarter=nothing, previous_week=nothing, previous_quarter=nothing,
                week_rate=ResponseRate(0, 40), quarter_rate=ResponseRate(0, 40))
    )  # fmt: skip
    assert "NPS, last 90 days: no NPS answers" in text
    assert "Response rate, last week: 0%, too low to trust (0 of 40" in text
    assert "CSAT (90 days): no answers" in text and "nan" not in text.lower()


def test_the_rate_counts_everyone_meant_to_be_asked_and_names_the_unreachable_share() -> None:
    text = digest_text(_digest(quarter_rate=ResponseRate(34, 108, unreachable=62)))
    assert (
        "Response rate, 90 days: 20%, healthy (34 of 170 people we meant to ask, 62 of them "
        "unreachable, answered; healthy ≥ 20%)"
    ) in text
    assert "Could not reach (90 days): 36% (62 of 170). To reach them:" in text
    assert "slack_channel" in text and "invite the bot" in text
    assert "Could not reach" not in digest_text(_digest())


def test_only_unreachable_people_is_not_an_empty_digest() -> None:
    nothing = PeriodFigures(W, ScoreSplit(), Average(), Average(), 0)
    unreached = ResponseRate(0, 0, unreachable=5)
    text = digest_text(
        _digest(week=nothing, quarter=nothing, previous_week=nothing, previous_quarter=nothing,
                week_rate=unreached, quarter_rate=unreached)
    )  # fmt: skip
    assert "Nothing to report" not in text
    assert "Response rate, 90 days: 0%, too low to trust (0 of 5 people we meant to ask" in text
    assert "Could not reach (90 days): 100% (5 of 5)" in text


@pytest.mark.parametrize("value,shown", [(20.0, "+20"), (-4.6, "-5"), (0.2, "0"), (None, "—")])
def test_nps_format(value: float | None, shown: str) -> None:
    assert format_nps(value) == shown


def test_stays_within_block_kit_limits_however_many_groups() -> None:
    many = [GroupNps(f"U{i:08d}" + "x" * 120, ScoreSplit(i, 1, 1)) for i in range(300)]
    long = "a very long comment " * 400
    digest = _digest(
        breakdowns={name: many for name in ("segment", "plan", "csm", "tenure", "health")},
        themes=[ThemeCount("t" * 40, 1, 2)] * 30,
        requests=[RequestRank(i, "r" * 200, "open", 1, 1.0, 1) for i in range(30)],
        verbatims=[Verbatim("nps", 1, long, "A" * 200, AS_OF)] * 10,
    )
    blocks = to_dicts(digest_blocks(digest))
    assert len(blocks) <= 50
    assert validate_blocks(blocks, limit=50) == []
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks)
    assert "…and 292 more groups" in json.dumps(blocks, ensure_ascii=False)


def test_health_reads_as_the_cards_write_it() -> None:
    digest = _digest(breakdowns={"health": [GroupNps("yellow", ScoreSplit(9, 3, 2))]})
    text = digest_text(digest)
    assert "Yellow: +50 (n=14)" in text and "yellow:" not in text


def test_a_response_rate_too_low_to_trust_opens_the_digest_with_an_alert() -> None:
    low = digest_text(_digest(quarter_rate=ResponseRate(14, 100)))
    first_section = low.split("\n\n")[1]
    assert first_section.startswith("Alert\n")
    assert "Response rate 14% over 90 days is too low to trust (below 15%)" in first_section
    assert "Alert" not in digest_text(_digest(quarter_rate=ResponseRate(15, 100)))
    assert "too low to trust" in _json(_digest(quarter_rate=ResponseRate(14, 100)))
