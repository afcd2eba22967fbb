"""Account health: the score's inputs read set-based (a few GROUP BYs over all accounts),
the weekly history written in bulk, and usage figures (health cases are cases:
storage/cases.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.health import HealthMover
from bot.domain.health_score import SUPPORT_METRICS, HealthInputs
from bot.domain.vocabulary import HEALTH_CASE
from storage.models import (
    Account,
    AccountHealth,
    Contact,
    FollowUpCase,
    Insight,
    Invitation,
    Response,
    UsageEvent,
)

WINDOW = timedelta(days=90)  # NPS, CSAT/CES, engagement and signals read the last 90 days
WEEK = timedelta(days=7)
USAGE_WEEKS = 4  # usage this week against the weekly mean of the four before


def _only(column: Any, account_ids: Sequence[int] | None) -> Any:
    return column.in_(account_ids) if account_ids is not None else True


def _count(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


async def score_inputs(
    *,
    session: AsyncSession,
    now: datetime,
    overdue_after: timedelta,
    account_ids: Sequence[int] | None = None,
) -> dict[int, HealthInputs]:
    """Every account's inputs (signals left at 0: they are read from the texts)."""
    rows: dict[int, dict[str, Any]] = {}

    def put(account_id: int, **values: Any) -> None:
        rows.setdefault(account_id, {}).update(values)

    recent, before = now - WINDOW, now - 2 * WINDOW
    r = Response
    nps, in90 = r.kind == "nps", r.answered_at >= recent
    answers = await session.execute(
        select(
            r.account_id,
            _count(and_(nps, in90)),
            _count(and_(nps, in90, r.category == "promoter")),
            _count(and_(nps, in90, r.category == "detractor")),
            _count(and_(nps, ~in90)),
            _count(and_(nps, ~in90, r.category == "promoter")),
            _count(and_(nps, ~in90, r.category == "detractor")),
            func.avg(case((and_(r.kind == "csat", in90), r.score))),
            func.avg(case((and_(r.kind == "ces", in90), r.score))),
        )
        .where(r.answered_at >= before, r.answered_at < now, _only(r.account_id, account_ids))
        .group_by(r.account_id)
    )
    for account_id, n, p, d, n0, p0, d0, csat, ces in answers:
        put(
            account_id,
            nps=round(100 * (p - d) / n) if n else None,
            nps_before=round(100 * (p0 - d0) / n0) if n0 else None,
            csat=float(csat) if csat is not None else None,
            ces=float(ces) if ces is not None else None,
        )
    asks = await session.execute(
        select(Contact.account_id, func.count(), func.count(Invitation.answered_at))
        .join(Contact, Contact.id == Invitation.contact_id)
        .where(
            Invitation.sent_at >= recent,
            Invitation.sent_at < now,
            _only(Contact.account_id, account_ids),
        )
        .group_by(Contact.account_id)
    )
    for account_id, asked, answered in asks:
        put(account_id, asks=asked, answers=answered)
    c = FollowUpCase
    open_cases = await session.execute(
        select(
            c.account_id,
            func.count(),
            _count(and_(c.first_logged_at.is_(None), c.opened_at < now - overdue_after)),
        )
        # a health case is not an input: the score would fall again for having fallen
        .where(c.closed_at.is_(None), c.kind != HEALTH_CASE, _only(c.account_id, account_ids))
        .group_by(c.account_id)
    )
    for account_id, opened, overdue in open_cases:
        put(account_id, open_cases=opened, overdue_cases=overdue)
    u = UsageEvent
    support, this_week = u.metric.in_(SUPPORT_METRICS), u.at >= now - WEEK
    usage = await session.execute(
        select(
            u.account_id,
            func.sum(case((and_(~support, this_week), u.value), else_=0)),
            _count(and_(~support, this_week)),
            func.sum(case((and_(~support, ~this_week), u.value), else_=0)),
            _count(and_(~support, ~this_week)),
            func.sum(case((and_(support, this_week), u.value), else_=0)),
            _count(support),
        )
        .where(u.at >= now - (USAGE_WEEKS + 1) * WEEK, u.at < now, _only(u.account_id, account_ids))
        .group_by(u.account_id)
    )
    for account_id, used, n_used, used_before, n_before, tickets, n_support in usage:
        put(
            account_id,
            usage=float(used or 0) if n_used or n_before else None,
            usage_before=float(used_before or 0) / USAGE_WEEKS if n_before else None,
            tickets=float(tickets or 0) if n_support else None,
        )
    return {account_id: HealthInputs(account_id, **values) for account_id, values in rows.items()}


# Words the churn / expansion rules start from (bot/domain/lexicon.py): the database keeps
# only texts holding one, and the rules read those.
SIGNAL_STEMS = (
    "cancel",
    "renew",
    "batal",
    "sambung",
    "seat",
    "licen",
    "lesen",
    "roll",
    "upgrad",
    "whole company",
    "another team",
    "want",
    "guna",
    "cawangan",
    "pasukan lain",
)


async def signal_texts(
    *, session: AsyncSession, now: datetime, account_ids: Sequence[int] | None = None
) -> list[tuple[int, str]]:
    """Comments, /voc notes and case notes of the last 90 days that may hold a signal."""
    recent = now - WINDOW

    def maybe(column: Any) -> Any:
        return or_(*(func.lower(column).like(f"%{stem}%") for stem in SIGNAL_STEMS))

    found: list[tuple[int, str]] = []
    queries = (
        select(Response.account_id, Response.comment).where(
            Response.answered_at >= recent,
            Response.comment.is_not(None),
            maybe(Response.comment),
            _only(Response.account_id, account_ids),
        ),
        select(Insight.account_id, Insight.text).where(
            Insight.created_at >= recent,
            Insight.response_id.is_(None),
            maybe(Insight.text),
            _only(Insight.account_id, account_ids),
        ),
        select(FollowUpCase.account_id, FollowUpCase.note).where(
            FollowUpCase.opened_at >= recent,
            FollowUpCase.note.is_not(None),
            maybe(FollowUpCase.note),
            _only(FollowUpCase.account_id, account_ids),
        ),
    )
    for query in queries:
        found.extend((a, text) for a, text in await session.execute(query) if text)
    return found


async def week_rows(
    *, session: AsyncSession, week: date, account_ids: Sequence[int] | None = None
) -> dict[int, tuple[int, dict[str, Any]]]:
    """Each account's (score, components) for one week."""
    result = await session.execute(
        select(AccountHealth.account_id, AccountHealth.score, AccountHealth.components).where(
            AccountHealth.week == week, _only(AccountHealth.account_id, account_ids)
        )
    )
    return {account_id: (score, parts or {}) for account_id, score, parts in result}


async def save_week(*, session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert or replace each account's row for its week (one statement a batch)."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table: Any = AccountHealth.__table__  # type: ignore[attr-defined]
    for start in range(0, len(rows), 1000):
        statement = insert(table).values(rows[start : start + 1000])
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["account_id", "week"],
                set_={
                    name: statement.excluded[name]
                    for name in ("score", "change", "components", "why", "computed_at")
                },
            )
        )


async def last_computed(*, session: AsyncSession) -> datetime | None:
    result = await session.execute(select(func.max(AccountHealth.computed_at)))
    return result.scalar_one_or_none()


async def changed_accounts(*, session: AsyncSession, since: datetime) -> list[int]:
    """Accounts whose inputs changed since a moment: answers, notes, cases, usage."""
    queries = (
        select(Response.account_id).where(Response.answered_at >= since),
        select(Insight.account_id).where(Insight.created_at >= since),
        select(FollowUpCase.account_id).where(
            or_(FollowUpCase.opened_at >= since, FollowUpCase.logged_at >= since)
        ),
        select(UsageEvent.account_id).where(UsageEvent.created_at >= since),
    )
    found: set[int] = set()
    for query in queries:
        found.update((await session.execute(query.distinct())).scalars())
    return sorted(found)


async def latest_scores(
    *, session: AsyncSession, account_ids: Iterable[int] | None = None, at: date | None = None
) -> dict[int, tuple[int, int | None, str | None]]:
    """Each account's newest score (up to the week `at`): (score, change, why)."""
    newest = select(AccountHealth.account_id, func.max(AccountHealth.week).label("week"))
    if at is not None:
        newest = newest.where(AccountHealth.week <= at)
    if account_ids is not None:
        newest = newest.where(AccountHealth.account_id.in_(list(account_ids)))
    latest = newest.group_by(AccountHealth.account_id).subquery()
    h = AccountHealth
    result = await session.execute(
        select(h.account_id, h.score, h.change, h.why).join(
            latest, and_(latest.c.account_id == h.account_id, latest.c.week == h.week)
        )
    )
    return {account_id: (score, change, why) for account_id, score, change, why in result}


async def movers_between(
    *, session: AsyncSession, start: date, end: date
) -> tuple[dict[int, int], list[HealthMover]]:
    """Scores at the period's end and each account's change since its start."""
    at_end = await latest_scores(session=session, at=end)
    at_start = await latest_scores(session=session, at=start, account_ids=list(at_end))
    found = await session.execute(select(Account.id, Account.name).where(Account.id.in_(at_end)))
    names = {account_id: name for account_id, name in found}
    moved = [
        HealthMover(
            account_id, names.get(account_id, ""), score, score - at_start[account_id][0], why or ""
        )
        for account_id, (score, _change, why) in at_end.items()
        if account_id in at_start
    ]
    return {a: s for a, (s, _c, _w) in at_end.items()}, moved


async def add_usage(*, session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Usage figures, all in one statement (the caller's transaction)."""
    if rows:
        await session.execute(UsageEvent.__table__.insert(), rows)  # type: ignore[attr-defined]


async def owned_scores(*, session: AsyncSession, user_id: str, limit: int) -> list[HealthMover]:
    """The newest score of each account the person is CSM of, lowest first."""
    newest = (
        select(AccountHealth.account_id, func.max(AccountHealth.week).label("week"))
        .join(Account, Account.id == AccountHealth.account_id)
        .where(Account.csm_user_id == user_id)
        .group_by(AccountHealth.account_id)
        .subquery()
    )
    h = AccountHealth
    result = await session.execute(
        select(h.account_id, Account.name, h.score, h.change, h.why)
        .join(newest, and_(newest.c.account_id == h.account_id, newest.c.week == h.week))
        .join(Account, Account.id == h.account_id)
        .order_by(h.score, Account.name)
        .limit(limit)
    )
    return [
        HealthMover(account_id, name, score, change or 0, why or "")
        for account_id, name, score, change, why in result
    ]


async def account_refs(
    *, session: AsyncSession, names: Sequence[str], crm_ids: Sequence[str]
) -> dict[str, int]:
    """Accounts by CRM id and by normalised name (both keys in one map)."""
    found: dict[str, int] = {}
    for column in (Account.name_key, Account.crm_id):
        keys = sorted(set(names if column is Account.name_key else crm_ids))
        for start in range(0, len(keys), 500):
            result = await session.execute(
                select(column, Account.id).where(column.in_(keys[start : start + 500]))
            )
            found.update({key: account_id for key, account_id in result if key})
    return found
