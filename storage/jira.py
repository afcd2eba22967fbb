"""Queries for Jira: what a request's issue says, its key, its push claimed once, the poll's
cursor under a lease."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.jira import RequestFacts
from bot.domain.vocabulary import RequestStatus
from storage.feedback import insert_ignoring_duplicates
from storage.models import Account, FeatureRequest, Insight, JiraPoll

R = FeatureRequest
VERBATIMS = 10  # the most recent ones go in the issue
ACCOUNTS = 25


async def request_facts(*, session: AsyncSession, request_id: int) -> RequestFacts | None:
    request = await session.get(R, request_id)
    if request is None:
        return None
    asked = (
        select(Account.name, Account.arr)
        .join(Insight, Insight.account_id == Account.id)
        .where(Insight.feature_request_id == request_id)
        .distinct()
    )
    accounts = sorted(
        ((str(name), arr) for name, arr in (await session.execute(asked)).all()),
        key=lambda pair: (-(pair[1] or 0.0), pair[0]),
    )
    said = await session.execute(
        select(Account.name, Insight.text)
        .join(Account, Account.id == Insight.account_id)
        .where(Insight.feature_request_id == request_id, Insight.text != "")
        .order_by(Insight.created_at.desc(), Insight.id.desc())
        .limit(VERBATIMS)
    )
    return RequestFacts(
        id=request_id,
        name=request.name,
        status=request.status,
        jira_key=request.jira_key,
        queued=request.jira_queued_at is not None,
        arr=sum(arr or 0.0 for _, arr in accounts),
        accounts=accounts[:ACCOUNTS],
        more_accounts=max(0, len(accounts) - ACCOUNTS),
        verbatims=[(str(name), str(text)) for name, text in said.all()],
    )


async def claim_push(*, session: AsyncSession, request_id: int, now: datetime) -> bool:
    """Mark the request's push enqueued; False when it was already (or it has a key)."""
    result = await session.execute(
        update(R)
        .where(R.id == request_id, R.jira_queued_at.is_(None), R.jira_key.is_(None))
        .values(jira_queued_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]  # DML gives a CursorResult


async def record_key(*, session: AsyncSession, request_id: int, key: str) -> None:
    await session.execute(
        update(R)
        .where(R.id == request_id)
        .values(jira_key=key)
        .execution_options(synchronize_session=False)
    )


async def request_of_issue(
    *, session: AsyncSession, key: str, request_id: int | None
) -> tuple[int, str, str | None] | None:
    """(id, name, last category) of the request pushed as `key`; by the id its label names
    when the key is not recorded yet (a push whose delivery is settling)."""
    found = (
        await session.execute(select(R.id, R.name, R.jira_category).where(R.jira_key == key))
    ).first()
    if found is None and request_id is not None:
        found = (
            await session.execute(
                select(R.id, R.name, R.jira_category).where(
                    R.id == request_id, or_(R.jira_key.is_(None), R.jira_key == key)
                )
            )
        ).first()
    return (int(found[0]), str(found[1]), found[2]) if found else None


async def record_category(*, session: AsyncSession, request_id: int, category: str) -> None:
    await session.execute(
        update(R)
        .where(R.id == request_id)
        .values(jira_category=category)
        .execution_options(synchronize_session=False)
    )


async def requests_past_arr(*, session: AsyncSession, threshold: float) -> list[int]:
    """Requests never pushed, not shipped, whose asking accounts' ARR is at least `threshold`."""
    asked = (
        select(Insight.feature_request_id.label("request_id"), Insight.account_id)
        .where(Insight.feature_request_id.is_not(None))
        .distinct()
        .subquery()
    )
    arr = func.coalesce(func.sum(Account.arr), 0.0)
    rows = await session.execute(
        select(R.id)
        .join(asked, asked.c.request_id == R.id)
        .join(Account, Account.id == asked.c.account_id)
        .where(R.jira_queued_at.is_(None), R.jira_key.is_(None), R.status != RequestStatus.SHIPPED)
        .group_by(R.id)
        .having(arr >= threshold)
        .order_by(R.id)
    )
    return [int(request_id) for request_id in rows.scalars()]


async def claim_poll(
    *, session: AsyncSession, project: str, now: datetime, every: timedelta, lease: timedelta
) -> tuple[bool, datetime | None]:
    """Take the project's poll when it is due and nobody holds it: (taken, its cursor)."""
    await insert_ignoring_duplicates(session, JiraPoll, {"project": project})
    due = or_(JiraPoll.polled_at.is_(None), JiraPoll.polled_at <= now - every)
    free = or_(JiraPoll.lease_until.is_(None), JiraPoll.lease_until < now)
    result = await session.execute(
        update(JiraPoll)
        .where(JiraPoll.project == project, due, free)
        .values(lease_until=now + lease)
        .returning(JiraPoll.cursor)
        .execution_options(synchronize_session=False)
    )
    row = result.first()
    return (row is not None, row[0] if row else None)


async def finish_poll(
    *,
    session: AsyncSession,
    project: str,
    cursor: datetime | None,
    now: datetime,
    error: str | None,
) -> None:
    """Keep the cursor (unchanged when None), when it ran and how it ended; free the lease."""
    values: dict[str, object] = {"polled_at": now, "lease_until": None, "error": error}
    if cursor is not None:
        values["cursor"] = cursor
    await session.execute(
        update(JiraPoll)
        .where(JiraPoll.project == project)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
