"""Every number of the digest against the hand-computed data set of `tests.digest_fixture`."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.domain.figures import Digest, Window
from bot.domain.scores import ScoreSplit
from bot.services.digest import compute_digest
from storage.db import Database
from storage.digest import months_before, nps_breakdowns, period_figures
from tests.digest_fixture import AS_OF, seed_digest

pytestmark = pytest.mark.postgres


async def _digest(db: Database, as_of=AS_OF) -> Digest:
    return await compute_digest(db, as_of=as_of, today=as_of.date())


def _groups(digest: Digest, dimension: str) -> dict[str, tuple[int, int, int, bool]]:
    return {
        g.label: (g.split.promoters, g.split.passives, g.split.detractors, g.split.too_small)
        for g in digest.breakdowns[dimension]
    }


async def test_scores_for_the_week_and_the_90_days(db: Database) -> None:
    await seed_digest(db)
    digest = await _digest(db)
    assert digest.week.nps == ScoreSplit(10, 4, 6)
    assert digest.week.nps.nps == 20
    assert digest.previous_week.nps == ScoreSplit(3, 1, 1)
    assert digest.previous_week.nps.nps == 40
    assert digest.quarter.nps == ScoreSplit(13, 5, 9)
    assert digest.quarter.nps.nps == pytest.approx(400 / 27)
    assert digest.previous_quarter.nps == ScoreSplit(4, 0, 1)
    assert digest.previous_quarter.nps.nps == 60
    assert (digest.week.responses, digest.quarter.responses) == (26, 34)
    assert (digest.week.csat.value, digest.quarter.csat.value) == (4.0, 3.6)
    assert (digest.quarter.ces.score_sum, digest.quarter.ces.count) == (10, 2)
    # people, once per survey kind: Acme, Globex, Initech, Hooli for NPS, Acme and Globex
    # for CSAT, Acme for CES; Acme's 74 unanswered NPS sends do not count again
    assert (digest.week_rate.answered, digest.week_rate.sent) == (7, 7)
    # the 90 days add Initech's CSAT of the week before
    assert (digest.quarter_rate.answered, digest.quarter_rate.sent) == (8, 8)


async def test_nps_by_segment_plan_csm_tenure_and_health(db: Database) -> None:
    await seed_digest(db)
    digest = await _digest(db)
    assert _groups(digest, "segment") == {
        "enterprise": (9, 3, 2, False),
        "mid-market": (2, 1, 3, False),
        "smb": (0, 1, 4, False),
        "(not set)": (2, 0, 0, True),
    }
    assert _groups(digest, "plan") == {
        "Scale": (11, 4, 5, False),
        "Starter": (0, 1, 4, False),
        "(not set)": (2, 0, 0, True),
    }
    assert _groups(digest, "csm") == {
        "UCSM1": (11, 4, 5, False),
        "UCSM2": (0, 1, 4, False),
        "(not set)": (2, 0, 0, True),
    }
    assert list(_groups(digest, "tenure").items()) == [
        ("<6 months", (0, 1, 4, False)),
        ("1–2 years", (2, 1, 3, False)),
        ("2+ years", (9, 3, 2, False)),
        ("(not set)", (2, 0, 0, True)),
    ]
    assert _groups(digest, "health") == {
        "green": (9, 3, 2, False),
        "red": (0, 1, 4, False),
        "yellow": (2, 1, 3, False),
        "(not set)": (2, 0, 0, True),
    }
    enterprise = digest.breakdowns["segment"][0]
    assert enterprise.split.nps == 50


async def test_tenure_bands_cut_at_6_12_and_24_months(db: Database) -> None:
    await seed_digest(db)
    window = Window(AS_OF - timedelta(days=90), AS_OF)
    async with db.session() as session:
        # a year later Globex (since Aug 2026) is 6–12 months old, Initech 2+ years
        later = await nps_breakdowns(session=session, window=window, today=date(2027, 7, 1))
    assert {g.label: g.split.total for g in later["tenure"]} == {
        "6–12 months": 5,
        "2+ years": 20,
        "(not set)": 2,
    }
    assert months_before(date(2026, 8, 31), 6) == date(2026, 2, 28)
    assert months_before(date(2026, 1, 15), 24) == date(2024, 1, 15)


async def test_themes_follow_ups_requests_and_verbatims(db: Database) -> None:
    await seed_digest(db)
    digest = await _digest(db)
    assert [(t.theme, t.count, t.total) for t in digest.themes] == [
        ("pricing", 2, 4),
        ("slow support", 2, 4),
        ("praise", 1, 4),
    ]
    assert [(t.theme, t.count, t.total) for t in digest.detractor_themes] == [
        ("slow support", 2, 2),
        ("pricing", 1, 2),
    ]
    completion = digest.completion
    assert (completion.overall.done, completion.overall.total) == (1, 4)
    assert (completion.open_cases, completion.overdue_cases) == (2, 1)
    assert [(r.name, r.arr, r.accounts) for r in digest.requests] == [
        ("SSO", 120000, 2),
        ("Dark mode", 50000, 1),
    ]
    assert [v.comment for v in digest.verbatims] == [
        "Love the new dashboards",
        "<!channel> pricing is too high",
        "Support took <b>days</b> & days",
    ]
    assert digest.verbatims[0].account == "Initech"


async def test_weekly_trend_buckets(db: Database) -> None:
    await seed_digest(db)
    trend = (await _digest(db)).trend
    assert len(trend) == 12
    assert trend[-1].week_start == AS_OF - timedelta(days=7)
    assert trend[-1].split == ScoreSplit(10, 4, 6)
    assert trend[-2].split == ScoreSplit(3, 1, 1)
    assert trend[4].split == ScoreSplit(0, 0, 2)  # 30 Sep falls in the week from 28 Sep
    assert sum(week.split.total for week in trend) == 27
    assert [w.split.total for w in trend].count(0) == 9


async def test_an_empty_period_has_no_nps_and_no_division(db: Database) -> None:
    await seed_digest(db)
    empty = AS_OF + timedelta(days=400)
    digest = await _digest(db, empty)
    assert digest.empty
    assert digest.quarter.nps == ScoreSplit() and digest.quarter.nps.nps is None
    assert digest.week_rate.share is None
    assert digest.quarter.csat.value is None
    assert digest.breakdowns["segment"] == []
    assert digest.completion.overall.share is None


async def test_windows_do_not_overlap_at_their_edges(db: Database) -> None:
    await seed_digest(db)
    async with db.session() as session:
        [at_start, before_start] = await period_figures(
            session=session,
            windows=[
                Window(AS_OF - timedelta(days=7), AS_OF - timedelta(days=7, seconds=-1)),
                Window(AS_OF - timedelta(days=8), AS_OF - timedelta(days=7)),
            ],
        )
    assert at_start.responses == 1 and at_start.csat.value == 5.0  # Globex's edge answer
    assert before_start.responses == 0


async def test_a_section_that_fails_raises_its_own_error_not_a_group(db: Database) -> None:
    """The sections are read side by side; one failing must fail the digest the way a
    serial read did, with the database's error (which `outage` and the poster read)."""
    await seed_digest(db)
    async with db.transaction() as session:
        await session.execute(text("ALTER TABLE feature_requests RENAME TO feature_requests_gone"))
    with pytest.raises(DBAPIError) as raised:
        await _digest(db)
    assert "feature_requests" in str(raised.value)
