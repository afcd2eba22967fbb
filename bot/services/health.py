"""Account health: each account's 0–100 score recomputed from its inputs (set-based, all
accounts in a few queries), kept one row a week, explained, and a case of the follow-up loop
(bot/services/cases.py) opened in #voc when it drops HEALTH_DROP points in a week or falls
below HEALTH_FLOOR."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.core.runtime import Runtime
from bot.domain import themes
from bot.domain.health import HealthSummary, health_band
from bot.domain.health_score import (
    DEFAULT_WEIGHTS,
    HealthInputs,
    HealthScore,
    explain,
    movements,
    score_account,
)
from bot.domain.lexicon import CHURN, EXPANSION
from bot.services import cases
from storage import cases as case_store
from storage import health as store

log = logging.getLogger(__name__)

FULL_EVERY = timedelta(days=1)  # every account at least daily; changed ones at each pass


@dataclass(frozen=True)
class HealthRun:
    scored: int
    cases: list[int]


def week_of(moment: datetime) -> date:
    """The Monday (UTC) of the moment's week: the history's key."""
    day = moment.date()
    return day - timedelta(days=day.weekday())


def _count_signals(inputs: dict[int, HealthInputs], texts: list[tuple[int, str]]) -> None:
    churn: dict[int, int] = {}
    expansion: dict[int, int] = {}
    for account_id, text in texts:
        for signal in themes.read(text).signals:
            if signal.kind == CHURN:
                churn[account_id] = churn.get(account_id, 0) + 1
            elif signal.kind == EXPANSION:
                expansion[account_id] = expansion.get(account_id, 0) + 1
    for account_id in churn.keys() | expansion.keys():
        found = inputs.get(account_id, HealthInputs(account_id))
        inputs[account_id] = replace(
            found,
            churn_signals=churn.get(account_id, 0),
            expansion_signals=expansion.get(account_id, 0),
        )


def _parts(score: HealthScore) -> dict[str, Any]:
    return {name: [round(c.points, 2), c.shown] for name, c in score.components.items()}


def _triggered(rt: Runtime, score: int, change: int | None, last: int | None) -> bool:
    """A drop of HEALTH_DROP in a week, or a fall below HEALTH_FLOOR from last week's score.

    Both need last week's score: the day health is switched on opens no storm of cases.
    """
    if last is None or change is None:
        return False
    floor = rt.settings.health_floor
    return -change >= rt.settings.health_drop or (score < floor <= last)


async def recompute(rt: Runtime, now: datetime, account_ids: list[int] | None = None) -> HealthRun:
    """Score every account (or those named) as of `now`, write this week's rows, and open a
    case for each account whose score dropped or fell below the floor."""
    week = week_of(now)
    async with rt.db.session() as session:
        inputs = await store.score_inputs(
            session=session,
            now=now,
            overdue_after=rt.settings.escalate_after,
            account_ids=account_ids,
        )
        texts = await store.signal_texts(session=session, now=now, account_ids=account_ids)
        before = await store.week_rows(
            session=session, week=week - timedelta(days=7), account_ids=account_ids
        )
    _count_signals(inputs, texts)
    rows: list[dict[str, Any]] = []
    alarms: list[tuple[int, int, int | None, str]] = []
    for account_id, account_inputs in inputs.items():
        scored = score_account(account_inputs, rt.settings.health_weights or DEFAULT_WEIGHTS)
        if scored is None:
            continue
        parts = _parts(scored)
        last = before.get(account_id)
        change = scored.score - last[0] if last else None
        why = explain(movements(_shown(parts), _shown(last[1]) if last else None))
        rows.append(
            {
                "account_id": account_id,
                "week": week,
                "score": scored.score,
                "change": change,
                "components": parts,
                "why": why,
                "computed_at": now,
            }
        )
        if _triggered(rt, scored.score, change, last[0] if last else None):
            alarms.append((account_id, scored.score, change, why))
    async with rt.db.transaction() as session:
        await store.save_week(session=session, rows=rows)
    opened = await _open_cases(rt, alarms, now)
    return HealthRun(scored=len(rows), cases=opened)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _shown(parts: dict[str, Any]) -> dict[str, tuple[float, str]]:
    return {name: (float(value[0]), str(value[1])) for name, value in parts.items()}


async def _open_cases(
    rt: Runtime, alarms: list[tuple[int, int, int | None, str]], now: datetime
) -> list[int]:
    """A case of the follow-up loop for each alarm, unless the account has one open or one
    opened this week (closed, the same week's slide does not reopen it)."""
    if not alarms:
        return []
    async with rt.db.session() as session:
        already = await case_store.health_case_accounts(
            session=session, account_ids=[a[0] for a in alarms], since=_midnight(week_of(now))
        )
    opened: list[int] = []
    for account_id, score, change, why in alarms:
        if account_id in already:
            continue
        case_id = await cases.open_health_case(
            rt, account_id=account_id, score=score, change=change, why=why, now=now
        )
        if case_id is not None:  # None: another process opened it first
            opened.append(case_id)
    return opened


async def refresh_due(rt: Runtime, now: datetime) -> int:
    """Scheduler job: every account once a day, and at each pass those whose inputs changed."""
    async with rt.db.session() as session:
        last = await store.last_computed(session=session)
        if last is not None and now - last < FULL_EVERY:
            changed = await store.changed_accounts(session=session, since=last)
            if not changed:
                return 0
            return (await recompute(rt, now, changed)).scored
    return (await recompute(rt, now)).scored


async def health_summary(rt: Runtime, start: datetime, end: datetime) -> HealthSummary:
    """Health over a period: bands at its end, the five biggest falls and rises."""
    async with rt.db.session() as session:
        scores, moved = await store.movers_between(
            session=session, start=week_of(start), end=week_of(end)
        )
    bands: dict[str, int] = {}
    for score in scores.values():
        bands[health_band(score)] = bands.get(health_band(score), 0) + 1
    falls = sorted((m for m in moved if m.change < 0), key=lambda m: (m.change, m.account))
    rises = sorted((m for m in moved if m.change > 0), key=lambda m: (-m.change, m.account))
    return HealthSummary(bands=bands, falls=falls[:5], rises=rises[:5], scored=len(scores))
