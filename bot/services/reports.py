"""What the read commands of `/voc` show: an account's timeline, NPS, themes, requests."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from bot.core.runtime import Runtime
from bot.domain import admin_commands
from bot.domain.errors import UserError
from bot.domain.figures import RequestRank
from bot.domain.reports import (
    CaseFacts,
    Event,
    InsightFacts,
    NpsReport,
    ScoreFacts,
    ThemesReport,
    Timeline,
)
from bot.domain.user_errors import AccountUnnamed
from bot.services.insights import find_account
from storage import accounts, crm_sync, health, timeline
from storage.insights import theme_counts, top_requests
from storage.triage import theme_states

TIMELINE_EACH = 15  # latest scores, cases and insights each; the message stays under 50 blocks
NPS_WINDOW = timedelta(days=90)
# Periods end "now", inclusive: what was logged this very second counts.
_INCLUSIVE = timedelta(seconds=1)
REQUESTS_SHOWN = 15


async def account_timeline(rt: Runtime, name: str) -> Timeline:
    """Scores, follow-up cases and insights of one account, newest first."""
    if not name.strip():
        raise AccountUnnamed()
    account = await find_account(rt, name)
    assert account.id is not None
    async with rt.db.session() as session:
        answers = await timeline.account_responses(
            session=session, account_id=account.id, limit=TIMELINE_EACH
        )
        cases = await timeline.account_cases(
            session=session, account_id=account.id, limit=TIMELINE_EACH
        )
        insights = await timeline.account_insights(
            session=session, account_id=account.id, limit=TIMELINE_EACH
        )
    events = [
        Event(
            r.answered_at,
            "score",
            ScoreFacts(r.kind, r.score, r.category, c.name or c.email),
            r.comment,
        )
        for r, c in answers
    ]
    events += [
        Event(
            case.opened_at,
            "case",
            CaseFacts(case.kind, case.score, case.outcome),
            case.note,
            person=case.claimed_by,
        )
        for case in cases
    ]
    events += [
        Event(
            i.created_at,
            "insight",
            InsightFacts(i.type, i.source, i.response_id is not None, tuple(tags)),
            None if i.response_id else i.text,  # a comment is shown with its score already
            i.id,
        )
        for i, tags in insights
    ]
    events.sort(key=lambda e: e.at, reverse=True)
    now = rt.now()
    async with rt.db.session() as session:
        synced = await crm_sync.account_synced(session=session, account_id=account.id)
        scored = (await health.latest_scores(session=session, account_ids=[account.id])).get(
            account.id
        )
        split = await timeline.nps_counts(
            session=session,
            since=now + _INCLUSIVE - NPS_WINDOW,
            until=now + _INCLUSIVE,
            segment=None,
            account_id=account.id,
        )
    summary = replace(accounts.summary_of(account), synced=synced)
    if scored is not None:
        summary = replace(
            summary, health_score=scored[0], health_change=scored[1], health_why=scored[2]
        )
    return Timeline(summary, events, nps=split, bands=rt.settings.verdict_bands)


async def nps(rt: Runtime, scope: str, now: datetime) -> NpsReport:
    """NPS over the last 90 days and the 90 before, overall, for a segment or an account."""
    segment: str | None = None
    account_id: int | None = None
    account_name: str | None = None
    if scope.strip():
        try:
            segment = admin_commands.segment(scope)
        except UserError:
            account = await find_account(rt, scope)
            account_id, account_name = account.id, account.name
    async with rt.db.session() as session:
        counts = [
            await timeline.nps_counts(
                session=session,
                since=now + _INCLUSIVE - NPS_WINDOW * (back + 1),
                until=now + _INCLUSIVE - NPS_WINDOW * back,
                segment=segment,
                account_id=account_id,
            )
            for back in (0, 1)
        ]
    return NpsReport(segment, account_name, counts[0], counts[1], bands=rt.settings.verdict_bands)


async def themes(rt: Runtime, days: int, now: datetime) -> ThemesReport:
    """Theme counts over the last `days`, overall and among detractors' comments."""
    until = now + _INCLUSIVE
    since = until - timedelta(days=days)
    async with rt.db.session() as session:
        overall = await theme_counts(session=session, since=since, until=until, limit=10)
        unhappy = await theme_counts(
            session=session, since=since, until=until, category="detractor", limit=10
        )
        states = await theme_states(session=session)  # `/voc theme THEME STATE`
    return ThemesReport(days, overall, unhappy, {t: row.state for t, row in states.items()})


async def requests(rt: Runtime) -> list[RequestRank]:
    """Open and planned feature requests, by the summed ARR of the accounts that asked."""
    async with rt.db.session() as session:
        return await top_requests(session=session, limit=REQUESTS_SHOWN)
