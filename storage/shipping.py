"""Closing the loop on a shipped feature request: who is owed an "it's live" DM, and once."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.figures import RequestOutcome
from bot.domain.vocabulary import NoticeKind, RequestStatus
from storage.feedback import insert_ignoring_duplicates
from storage.models import Account, Contact, FeatureRequest, Insight, ShipNotice

# the states `mark_planned` moves on from (planned, in progress and shipped are further on)
_BEFORE_PLANNED = (
    RequestStatus.NEW,
    RequestStatus.UNDER_REVIEW,
    RequestStatus.DECLINED,
    RequestStatus.KNOWN_ISSUE,
)


async def mark_shipped(
    *, session: AsyncSession, request_id: int, user_id: str, now: datetime, url: str | None = None
) -> bool:
    """Mark the request shipped; False when it already was (the first ship time stays)."""
    result = await session.execute(
        update(FeatureRequest)
        .where(FeatureRequest.id == request_id, FeatureRequest.status != RequestStatus.SHIPPED)
        .values(status=RequestStatus.SHIPPED, shipped_at=now, shipped_by=user_id)
        .execution_options(synchronize_session=False)
    )
    if url:
        await session.execute(
            update(FeatureRequest)
            .where(FeatureRequest.id == request_id)
            .values(ship_url=url)
            .execution_options(synchronize_session=False)
        )
    return bool(result.rowcount)  # type: ignore[attr-defined]  # DML gives a CursorResult


async def mark_planned(
    *, session: AsyncSession, request_id: int, user_id: str, now: datetime
) -> bool:
    """Mark a request planned unless it is planned, in progress or shipped (then False)."""
    result = await session.execute(
        update(FeatureRequest)
        .where(FeatureRequest.id == request_id, FeatureRequest.status.in_(_BEFORE_PLANNED))
        .values(status=RequestStatus.PLANNED, planned_at=now, planned_by=user_id)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]  # DML gives a CursorResult


async def recipients(*, session: AsyncSession, request_id: int) -> dict[str, int | None]:
    """Slack user id → contact id (None for CSMs and loggers) of everyone linked to a request.

    Contacts who asked (survey comments), the CSMs of the accounts that asked, and whoever
    logged each insight.
    """
    rows = await session.execute(
        select(Contact.slack_user_id, Contact.id, Account.csm_user_id, Insight.logged_by)
        .select_from(Insight)
        .join(Account, Account.id == Insight.account_id)
        .outerjoin(Contact, Contact.id == Insight.contact_id)
        .where(Insight.feature_request_id == request_id)
        .order_by(Insight.id)
    )
    people: dict[str, int | None] = {}
    for contact_user, contact_id, csm, logged_by in rows.all():
        if contact_user:
            people[contact_user] = contact_id
        for user in (csm, logged_by):
            if user:
                people.setdefault(user, None)
    return people


async def add_notices(
    *,
    session: AsyncSession,
    request_id: int,
    people: Mapping[str, int | None],
    now: datetime,
    kind: str = NoticeKind.SHIPPED,
    due_at: datetime | None = None,
) -> None:
    """One notice row per person and kind; the unique key ignores people who have one."""
    for user_id, contact_id in people.items():
        await insert_ignoring_duplicates(
            session,
            ShipNotice,
            {
                "feature_request_id": request_id,
                "user_id": user_id,
                "contact_id": contact_id,
                "created_at": now,
                "kind": kind,
                "due_at": due_at,
            },
        )


async def claim_notices(
    *,
    session: AsyncSession,
    request_id: int,
    now: datetime,
    lease: timedelta,
    kind: str = NoticeKind.SHIPPED,
) -> list[tuple[ShipNotice, bool]]:
    """Take the unsent, unfailed notices nobody else holds; the conditional UPDATE decides.

    Returns (notice, retried) pairs: `retried` when an earlier claim's lease ran out, so its
    DM may already be in Slack (the process died between posting and recording it).
    """
    takeable = and_(
        ShipNotice.feature_request_id == request_id,
        ShipNotice.kind == kind,
        or_(ShipNotice.due_at.is_(None), ShipNotice.due_at <= now),
        ShipNotice.sent_at.is_(None),
        ShipNotice.error.is_(None),
        or_(ShipNotice.lease_until.is_(None), ShipNotice.lease_until < now),
    )
    rows = await session.execute(select(ShipNotice.id, ShipNotice.lease_until).where(takeable))
    claimed: list[tuple[ShipNotice, bool]] = []
    for notice_id, earlier_lease in rows.all():
        result = await session.execute(
            update(ShipNotice)
            .where(ShipNotice.id == notice_id, takeable)
            .values(lease_until=now + lease)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount:  # type: ignore[attr-defined]  # DML gives a CursorResult
            notice = await session.get(ShipNotice, notice_id)
            assert notice is not None
            claimed.append((notice, earlier_lease is not None))
    return claimed


async def finish_notice(
    *, session: AsyncSession, notice_id: int, now: datetime, error: str | None
) -> None:
    """Record the DM as sent, or the Slack error that refused it (never retried)."""
    values: dict[str, object] = {"lease_until": None}
    values |= {"error": error[:200]} if error else {"sent_at": now}
    await session.execute(
        update(ShipNotice)
        .where(ShipNotice.id == notice_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def contact_locales(
    *, session: AsyncSession, contact_ids: list[int]
) -> dict[int, str | None]:
    """Contact id → Slack locale, for the DMs customers read in their language."""
    if not contact_ids:
        return {}
    rows = await session.execute(
        select(Contact.id, Contact.locale).where(Contact.id.in_(contact_ids))
    )
    return {int(contact_id): locale for contact_id, locale in rows.all()}


async def shipped_between(
    *, session: AsyncSession, start: datetime, end: datetime
) -> list[tuple[int, datetime]]:
    """(request id, shipped at) of the requests shipped in [start, end]."""
    rows = await session.execute(
        select(FeatureRequest.id, FeatureRequest.shipped_at).where(
            FeatureRequest.status == RequestStatus.SHIPPED,
            FeatureRequest.shipped_at >= start,
            FeatureRequest.shipped_at <= end,
        )
    )
    # shipped_at is never None here: the WHERE compares it
    return [(request_id, at) for request_id, at in rows.all() if at is not None]


async def requests_with_due_questions(*, session: AsyncSession, now: datetime) -> list[int]:
    """Requests that have an unsent "did it solve it?" question due by `now`."""
    rows = await session.execute(
        select(ShipNotice.feature_request_id)
        .where(
            ShipNotice.kind == NoticeKind.ASKED,
            ShipNotice.due_at <= now,
            ShipNotice.sent_at.is_(None),
            ShipNotice.error.is_(None),
        )
        .distinct()
    )
    return [int(request_id) for request_id in rows.scalars()]


async def record_answer(
    *,
    session: AsyncSession,
    notice_id: int,
    user_id: str,
    answer: str,
    comment: str | None,
    now: datetime,
) -> bool:
    """Keep the first answer of the question's own person; False for a repeat or a stranger."""
    result = await session.execute(
        update(ShipNotice)
        .where(
            ShipNotice.id == notice_id,
            ShipNotice.kind == NoticeKind.ASKED,
            ShipNotice.user_id == user_id,
            ShipNotice.answered_at.is_(None),
        )
        .values(answer=answer, answer_comment=comment, answered_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]  # DML gives a CursorResult


async def shipped_outcomes(*, session: AsyncSession, limit: int = 10) -> list[RequestOutcome]:
    """The most recently shipped requests with their week-later answers."""
    shipped = await session.execute(
        select(FeatureRequest)
        .where(FeatureRequest.status == RequestStatus.SHIPPED)
        .order_by(FeatureRequest.shipped_at.desc(), FeatureRequest.id.desc())
        .limit(limit)
    )
    outcomes: list[RequestOutcome] = []
    for request in shipped.scalars():
        notices = await session.execute(
            select(ShipNotice)
            .where(ShipNotice.feature_request_id == request.id, ShipNotice.kind == NoticeKind.ASKED)
            .order_by(ShipNotice.answered_at.desc())
        )
        asked = list(notices.scalars())
        outcomes.append(
            RequestOutcome(
                name=request.name,
                shipped_at=request.shipped_at,
                url=request.ship_url,
                asked=sum(1 for n in asked if n.sent_at is not None),
                yes=sum(1 for n in asked if n.answer == "yes"),
                not_quite=sum(1 for n in asked if n.answer == "not_quite"),
                comments=tuple(n.answer_comment for n in asked if n.answer_comment),
            )
        )
    return outcomes
