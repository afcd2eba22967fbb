"""Queries over invitations: creating them and claiming due work safely across processes.

Every claim is one conditional UPDATE, so two schedulers never take the same row: on
PostgreSQL the candidate rows are locked with `FOR UPDATE SKIP LOCKED`; SQLite has a single
writer, and the status guard in the WHERE clause makes a second claim a no-op.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.domain.records import Answer
from bot.domain.vocabulary import DeliveryChannel, InvitationStatus, Trigger
from storage.claims import claimable
from storage.models import Contact, Invitation

S = InvitationStatus
OPEN = (S.SENDING, S.SENT, S.REMINDED)  # in Slack (or about to be) and not yet answered
# a survey made (`resolving`: its person is being found in Slack) or gone out counts
COUNTS_FOR_FATIGUE = (
    S.RESOLVING,
    S.SCHEDULED,
    S.SENDING,
    S.SENT,
    S.REMINDED,
    S.ANSWERED,
    S.EXPIRED,
)


async def create_invitation(
    *,
    session: AsyncSession,
    contact_id: int,
    kind: str,
    trigger: str,
    due_at: datetime,
    now: datetime,
    status: str = S.SCHEDULED,
    skip_reason: str | None = None,
    context: dict[str, Any] | None = None,
    channel: str | None = None,
    campaign_id: int | None = None,
    follows_invitation_id: int | None = None,
) -> Invitation:
    invitation = Invitation(
        follows_invitation_id=follows_invitation_id,
        contact_id=contact_id,
        kind=kind,
        trigger=trigger,
        status=status,
        skip_reason=skip_reason,
        due_at=due_at,
        context=context,
        channel=channel,
        campaign_id=campaign_id,
        created_at=now,
        closed_at=now if status == S.SKIPPED else None,
    )
    session.add(invitation)
    await session.flush()
    return invitation


async def last_surveyed_at(
    *, session: AsyncSession, contact_id: int, relationship: bool
) -> datetime | None:
    """When the contact's newest invitation of this family that counts for fatigue was made."""
    family = Invitation.trigger == Trigger.RELATIONSHIP
    query = select(func.max(Invitation.created_at)).where(
        Invitation.contact_id == contact_id,
        Invitation.status.in_(COUNTS_FOR_FATIGUE),
        family if relationship else ~family,
    )
    return (await session.execute(query)).scalar_one()


async def count_for_trigger(*, session: AsyncSession, trigger: str, kind: str) -> int:
    """How many invitations of this trigger and kind were ever made (one per event)."""
    query = select(func.count()).where(Invitation.trigger == trigger, Invitation.kind == kind)
    return int((await session.execute(query)).scalar_one())


async def has_scheduled(
    *, session: AsyncSession, contact_id: int, relationship: bool, now: datetime
) -> bool:
    """Whether a survey of this family is scheduled for the contact, due now or later."""
    family = Invitation.trigger == Trigger.RELATIONSHIP
    query = select(func.count(Invitation.id)).where(
        Invitation.contact_id == contact_id,
        Invitation.status == S.SCHEDULED,
        Invitation.due_at >= now,
        family if relationship else ~family,
    )
    return bool((await session.execute(query)).scalar_one())


def _by_email(email: bool) -> ColumnElement[bool]:
    """Email surveys (`email=True`) or DMs; shared-channel posts are claimed elsewhere."""
    if email:
        return Invitation.channel == DeliveryChannel.EMAIL
    # bound for a shared channel: storage/shared_posts.py claims those, several per post
    return and_(
        Invitation.channel.is_distinct_from(DeliveryChannel.SLACK_CHANNEL),
        Invitation.channel.is_distinct_from(DeliveryChannel.EMAIL),
    )


async def claim_due(
    *,
    session: AsyncSession,
    now: datetime,
    lease: timedelta,
    limit: int,
    email: bool = False,
    owner: str | None = None,
) -> list[tuple[Invitation, Contact]]:
    """Move up to `limit` due scheduled invitations to `sending`, leased until now + lease.

    DMs by default; `email=True` claims the surveys bound for email instead. `owner`, when
    given, names the claiming pass (see `hold`).
    """
    ids = await _claim(
        session,
        where=and_(Invitation.status == S.SCHEDULED, Invitation.due_at <= now, _by_email(email)),
        order=Invitation.due_at,
        limit=limit,
        values={
            "status": S.SENDING,
            "lease_until": now + lease,
            "sending_since": now,
            "attempts": Invitation.attempts + 1,
        }
        | ({"lease_owner": owner} if owner else {}),
    )
    return await with_contacts(session=session, ids=ids)


async def claim_stale_sending(
    *,
    session: AsyncSession,
    now: datetime,
    lease: timedelta,
    limit: int,
    email: bool = False,
    owner: str | None = None,
) -> list[tuple[Invitation, Contact]]:
    """Take over `sending` rows whose lease ran out (their sender died) to reconcile them.

    With `owner`, the rows change hands: their old owner can no longer `hold` them.
    """
    ids = await _claim(
        session,
        where=and_(
            Invitation.status == S.SENDING,
            Invitation.lease_until < now,
            # email rows are settled by bot/services/email_survey.py, never by asking Slack
            (Invitation.channel == DeliveryChannel.EMAIL)
            if email
            else Invitation.channel.is_distinct_from(DeliveryChannel.EMAIL),
        ),
        order=Invitation.lease_until,
        limit=limit,
        values={"lease_until": now + lease} | ({"lease_owner": owner} if owner else {}),
    )
    return await with_contacts(session=session, ids=ids)


async def claim_reminders(
    *, session: AsyncSession, now: datetime, remind_after: timedelta, expire_after: timedelta
) -> list[tuple[Invitation, Contact]]:
    """Mark unanswered invitations `reminded` (at most once each) and return them."""
    ids = await _claim(
        session,
        where=and_(
            Invitation.status == S.SENT,
            Invitation.follows_invitation_id.is_(None),  # one reminder for a whole survey
            Invitation.sent_at <= now - remind_after,
            Invitation.sent_at > now - expire_after,
        ),
        order=Invitation.sent_at,
        limit=500,
        values={"status": S.REMINDED, "reminded_at": now},
    )
    return await with_contacts(session=session, ids=ids)


async def claim_expiries(
    *, session: AsyncSession, now: datetime, expire_after: timedelta
) -> list[tuple[Invitation, Contact]]:
    """Close invitations unanswered for `expire_after` and return them."""
    ids = await _claim(
        session,
        where=and_(
            Invitation.status.in_((S.SENT, S.REMINDED)), Invitation.sent_at <= now - expire_after
        ),
        order=Invitation.sent_at,
        limit=500,
        values={"status": S.EXPIRED, "closed_at": now},
    )
    return await with_contacts(session=session, ids=ids)


async def transition(
    *,
    session: AsyncSession,
    invitation_id: int,
    from_statuses: Sequence[str],
    values: Mapping[str, Any],
    owner: str | None = None,
) -> bool:
    """Change one invitation if it is still in one of `from_statuses` (and, with `owner`,
    still held by that pass); True when it changed."""
    held = Invitation.lease_owner == owner if owner else true()
    result = await session.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.status.in_(from_statuses), held)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]  # DML gives a CursorResult


async def with_contacts(
    *, session: AsyncSession, ids: Sequence[int]
) -> list[tuple[Invitation, Contact]]:
    if not ids:
        return []
    rows = await session.execute(
        select(Invitation, Contact)
        .join(Contact, Contact.id == Invitation.contact_id)
        .where(Invitation.id.in_(ids))
        .order_by(Invitation.id)
        .execution_options(populate_existing=True)
    )
    return [(invitation, contact) for invitation, contact in rows.all()]


async def get_with_contact(
    *, session: AsyncSession, invitation_id: int
) -> tuple[Invitation, Contact] | None:
    rows = await with_contacts(session=session, ids=[invitation_id])
    return rows[0] if rows else None


async def tap_target(*, session: AsyncSession, invitation_id: int) -> Any | None:
    """The columns a tap needs, in one light query: invitation state and its contact."""
    return (await tap_targets(session=session, ids=[invitation_id])).get(invitation_id)


async def tap_targets(*, session: AsyncSession, ids: Collection[int]) -> dict[int, Any]:
    """`tap_target` for several invitations in one query, by invitation id (absent: unknown)."""
    if not ids:
        return {}
    result = await session.execute(
        select(
            Invitation.id,
            Invitation.kind,
            Invitation.trigger,
            Invitation.status,
            Invitation.contact_id,
            Invitation.sent_at,
            Invitation.sending_since,
            Invitation.dm_channel,
            Invitation.message_ts,
            Invitation.channel,
            Invitation.question,
            Invitation.follows_invitation_id,
            Invitation.context,
            Contact.account_id,
            Contact.slack_user_id,
            Contact.locale,
        )
        .join(Contact, Contact.id == Invitation.contact_id)
        .where(Invitation.id.in_(sorted(set(ids))))
    )
    return {row.id: row for row in result.all()}


async def answer_many(
    *, session: AsyncSession, answers: Sequence[Answer], from_statuses: Sequence[str]
) -> set[int]:
    """Mark each invitation still in one of `from_statuses` answered, in one UPDATE.

    The status guard is per row, as in `transition`: a row another transaction answered or
    closed first is left alone. Returns the ids that changed (the taps that won). A message's
    channel and ts are only filled in where the row has none.
    """
    if not answers:
        return set()
    ids = [answer.invitation_id for answer in answers]
    if len(set(ids)) != len(ids):
        raise ValueError("one answer per invitation: the first tap of a batch wins")
    values: dict[str, Any] = {
        "status": S.ANSWERED,
        "lease_until": None,
        "answered_at": _per_row(answers, "answered_at", Invitation.answered_at),
    }
    for name in ("dm_channel", "message_ts"):
        column = getattr(Invitation, name)
        known = [a for a in answers if getattr(a, name) is not None]
        if known:
            values[name] = func.coalesce(column, _per_row(known, name, column))
    result = await session.execute(
        update(Invitation)
        .where(Invitation.id.in_(ids), Invitation.status.in_(from_statuses))
        .values(**values)
        .returning(Invitation.id)
        .execution_options(synchronize_session=False)
    )
    return set(result.scalars())


def _per_row(answers: Sequence[Answer], name: str, column: Any) -> ColumnElement[Any]:
    """`CASE id WHEN … THEN …`: each row's own value of `name`, typed as `column`."""
    return case(
        {a.invitation_id: literal(getattr(a, name), column.type) for a in answers},
        value=Invitation.id,
        else_=column,
    )


async def skip_pending_for_contact(
    *, session: AsyncSession, contact_id: int, reason: str, now: datetime
) -> None:
    """Skip every scheduled (or waiting) invitation of a contact (e.g. after an opt-out)."""
    await session.execute(
        update(Invitation)
        .where(Invitation.contact_id == contact_id, Invitation.status.in_((S.SCHEDULED, S.WAITING)))
        .values(status=S.SKIPPED, skip_reason=reason, closed_at=now)
        .execution_options(synchronize_session=False)
    )


async def close_open_for_contact(
    *, session: AsyncSession, contact_id: int, now: datetime
) -> list[Invitation]:
    """Close every survey of a contact still open in Slack (after an opt-out or `forget`);
    the closed rows, so their messages can lose their buttons."""
    rows = await session.execute(
        select(Invitation).where(Invitation.contact_id == contact_id, Invitation.status.in_(OPEN))
    )
    closed = list(rows.scalars())
    if closed:
        await session.execute(
            update(Invitation)
            .where(Invitation.id.in_([row.id for row in closed]), Invitation.status.in_(OPEN))
            .values(status=S.EXPIRED, closed_at=now, lease_until=None)
            .execution_options(synchronize_session=False)
        )
    return closed


async def _claim(
    session: AsyncSession,
    *,
    where: ColumnElement[bool],
    order: Any,
    limit: int,
    values: dict[str, Any],
) -> list[int]:
    result = await session.execute(
        update(Invitation)
        .where(Invitation.id.in_(claimable(Invitation.id, where, order, limit=limit)), where)
        .values(**values)
        .returning(Invitation.id)
        .execution_options(synchronize_session=False)
    )
    return [row[0] for row in result.all()]


async def renew_leases(
    *, session: AsyncSession, ids: Sequence[int], now: datetime, until: datetime
) -> list[int]:
    """Extend the leases, not yet run out at `now`, of invitations still `sending`; their ids.

    A lease that ran out is not renewed: another process may already be reconciling it.
    """
    if not ids:
        return []
    result = await session.execute(
        update(Invitation)
        .where(
            Invitation.id.in_(ids),
            Invitation.status == S.SENDING,
            Invitation.lease_until >= now,
        )
        .values(lease_until=until)
        .returning(Invitation.id)
        .execution_options(synchronize_session=False)
    )
    return list(result.scalars())


async def hold(
    *, session: AsyncSession, ids: Sequence[int], owner: str, until: datetime
) -> list[int]:
    """Extend to `until` the leases of the rows still `sending` and held by `owner`; their ids.

    A row taken over by another process (`claim_stale_sending` with its own owner) is left
    alone: its old owner learns here that it must not send it.
    """
    if not ids:
        return []
    result = await session.execute(
        update(Invitation)
        .where(
            Invitation.id.in_(ids),
            Invitation.status == S.SENDING,
            Invitation.lease_owner == owner,
        )
        .values(lease_until=until)
        .returning(Invitation.id)
        .execution_options(synchronize_session=False)
    )
    return list(result.scalars())


async def open_follow_up(
    *, session: AsyncSession, parent_id: int, values: dict[str, Any]
) -> int | None:
    """Move the question waiting on `parent_id` out of `waiting` with `values`; its id."""
    result = await session.execute(
        update(Invitation)
        .where(Invitation.follows_invitation_id == parent_id, Invitation.status == S.WAITING)
        .values(**values)
        .returning(Invitation.id)
        .execution_options(synchronize_session=False)
    )
    return result.scalars().first()


async def close_unasked_follow_ups(*, session: AsyncSession, reason: str, now: datetime) -> int:
    """Skip follow-ups whose first question closed unanswered: they are never asked."""
    parent = aliased(Invitation)
    closed = (
        select(parent.id)
        .where(
            parent.id == Invitation.follows_invitation_id,
            parent.status.in_((S.EXPIRED, S.FAILED, S.SKIPPED)),
        )
        .exists()
    )
    result = await session.execute(
        update(Invitation)
        .where(Invitation.status == S.WAITING, closed)
        .values(status=S.SKIPPED, skip_reason=reason, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # DML gives a CursorResult


async def chain(
    *, session: AsyncSession, invitation_id: int, longest: int
) -> list[tuple[Invitation, Contact]]:
    """The questions of the survey message `invitation_id` is in, first to last.

    One row when it is a survey of one question; at most `longest` rows.
    """
    root = await session.get(Invitation, invitation_id)
    for _ in range(longest):
        if root is None or root.follows_invitation_id is None:
            break
        root = await session.get(Invitation, root.follows_invitation_id)
    if root is None or root.id is None:
        return []
    ids = [root.id]
    while len(ids) < longest:
        after = await session.scalar(
            select(Invitation.id).where(Invitation.follows_invitation_id == ids[-1])
        )
        if after is None:
            break
        ids.append(after)
    return await with_contacts(session=session, ids=ids)
