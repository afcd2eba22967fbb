"""Account health: each account's 0–100 score recomputed from its inputs (set-based, all
accounts in a few queries), kept one row a week, explained, and a case opened in #voc when
it drops HEALTH_DROP points in a week or falls below HEALTH_FLOOR."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from blocks.health import health_case_blocks, health_case_text, health_escalation_text
from blocks.surveys import to_dicts
from bot.core.runtime import Runtime
from bot.core.slack import error_code
from bot.core.slack_errors import SlackError
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
from storage import health as store

log = logging.getLogger(__name__)

FULL_EVERY = timedelta(days=1)  # every account at least daily; changed ones at each pass
ESCALATION_EVERY = timedelta(hours=24)
MAX_ESCALATIONS = 3


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
    if not alarms:
        return []
    async with rt.db.session() as session:
        # one case while open, and none again for the same week's slide once closed
        already = await store.case_accounts(session=session, since=_midnight(week_of(now)))
        names = await store.account_names(session=session, account_ids=[a[0] for a in alarms])
    opened: list[int] = []
    for account_id, score, change, why in alarms:
        if account_id in already:
            continue
        owner = names.get(account_id, ("", None))[1]
        async with rt.db.transaction() as session:
            case_id = await store.open_health_case(
                session=session,
                account_id=account_id,
                score=score,
                change=change,
                why=why,
                owner=owner,
                now=now,
                escalate_at=now + rt.settings.escalate_after,
            )
        if case_id is None:  # another process opened it first
            continue
        opened.append(case_id)
        await post_case(rt, case_id)
    return opened


async def post_case(rt: Runtime, case_id: int) -> bool:
    """The case's card in #voc, once; False when it is not posted (the next pass retries)."""
    if not rt.settings.voc_channel:
        log.warning("VOC_CHANNEL is not set: health case not posted", extra={"case": case_id})
        return False
    async with rt.db.session() as session:
        case = await store.health_case(session=session, case_id=case_id)
        if case is None or case.message_ts:
            return False
        name = (await store.account_names(session=session, account_ids=[case.account_id])).get(
            case.account_id, ("", None)
        )[0]
    try:
        posted = await rt.slack.chat_postMessage(
            channel=rt.settings.voc_channel,
            text=health_case_text(name, case.score, case.change),
            blocks=to_dicts(
                health_case_blocks(
                    name, case.score, case.change, case.why, case.owner, case_id=case_id
                )
            ),
            unfurl_links=False,
            unfurl_media=False,
        )
    except SlackError as exc:
        log.error("health case not posted", extra={"case": case_id, "error": error_code(exc)})
        return False
    async with rt.db.transaction() as session:
        await store.set_case_card(
            session=session, case_id=case_id, channel=posted["channel"], ts=str(posted["ts"])
        )
    return True


async def claim_case(rt: Runtime, case_id: int, user_id: str, now: datetime) -> bool:
    """Claim a health case (stops its reminders); False when someone already has it."""
    async with rt.db.transaction() as session:
        claimed = await store.claim_case(session=session, case_id=case_id, user_id=user_id, now=now)
    await _refresh_card(rt, case_id)
    return claimed


async def close_case(rt: Runtime, case_id: int, now: datetime) -> bool:
    """Close a health case: a new slide may open the next one."""
    async with rt.db.transaction() as session:
        closed = await store.close_health_case(session=session, case_id=case_id, now=now)
    await _refresh_card(rt, case_id)
    return closed


async def _refresh_card(rt: Runtime, case_id: int) -> None:
    async with rt.db.session() as session:
        case = await store.health_case(session=session, case_id=case_id)
        if case is None or not case.channel or not case.message_ts:
            return
        name = (await store.account_names(session=session, account_ids=[case.account_id])).get(
            case.account_id, ("", None)
        )[0]
    blocks = health_case_blocks(
        name,
        case.score,
        case.change,
        case.why,
        case.owner,
        case_id=None if case.closed_at else case_id,
        claimed_by=case.claimed_by,
    )
    try:
        await rt.slack.chat_update(
            channel=case.channel,
            ts=case.message_ts,
            text=health_case_text(name, case.score, case.change),
            blocks=to_dicts(blocks),
        )
    except SlackError as exc:
        log.warning(
            "health case card not updated", extra={"case": case_id, "error": error_code(exc)}
        )


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


async def escalate_due(rt: Runtime, now: datetime) -> int:
    """Scheduler job: cards Slack refused before posted now, and a reminder in the thread
    of each health case nobody claimed in time."""
    if rt.settings.voc_channel:
        async with rt.db.session() as session:
            unposted = await store.unposted_cases(session=session, limit=50)
        for case_id in unposted:
            await post_case(rt, case_id)
    async with rt.db.transaction() as session:
        due = await store.claim_case_escalations(
            session=session, now=now, every=ESCALATION_EVERY, max_steps=MAX_ESCALATIONS
        )
    for case_id, channel, ts, owner, step in due:
        try:
            await rt.slack.chat_postMessage(
                channel=channel, thread_ts=ts, text=health_escalation_text(owner, step)
            )
        except SlackError as exc:
            log.warning(
                "health escalation failed", extra={"case": case_id, "error": error_code(exc)}
            )
    return len(due)


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
