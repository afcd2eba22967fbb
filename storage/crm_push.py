"""Queries of the CRM push (bot/services/crm_push.py): the facts an outbox event needs at
delivery time, the notes put on CRM timelines (`crm_notes`), and what `crm status` counts.

The events themselves hold ids only: what is pushed is read here when it is delivered, so a
late delivery pushes what is true then (a comment added since, a case closed since, a
comment blanked or a person forgotten since).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.crm_results import PushEvent, PushState, SyncState
from storage.models import Account, Contact, CrmNote, CrmSync, FollowUpCase, OutboxEvent, Response
from storage.nps import split_columns, to_split
from storage.outbox import ERROR_LENGTH, Claimed

E = OutboxEvent
CRM = "crm"
NOT_IN_CRM = "not in CRM"  # the last_error of an event delivered to nobody


@dataclass(frozen=True)
class AnswerFacts:
    """One answer as the contact's voc_* fields push it."""

    response_id: int
    contact_id: int
    email: str
    contact_crm_id: str | None
    kind: str
    score: int
    answered_at: datetime
    comment: str | None
    superseded: bool  # the contact answered again since: that answer's event pushes


@dataclass(frozen=True)
class CaseFacts:
    """A follow-up case as its CRM note tells it."""

    case_id: int
    contact_id: int
    email: str
    contact_crm_id: str | None
    account_crm_id: str | None
    kind: str
    score: int
    comment: str | None
    answered_at: datetime
    channel: str | None
    message_ts: str | None
    outcome: str | None
    note: str | None
    closed_at: datetime | None


async def answer_facts(*, session: AsyncSession, response_id: int) -> AnswerFacts | None:
    row = (
        await session.execute(
            select(Response, Contact.email, Contact.crm_id)
            .join(Contact, Contact.id == Response.contact_id)
            .where(Response.id == response_id)
        )
    ).one_or_none()
    if row is None:
        return None
    response, email, crm_id = row
    newer = await session.scalar(
        select(func.count())
        .select_from(Response)
        .where(
            Response.contact_id == response.contact_id,
            or_(
                Response.answered_at > response.answered_at,
                (Response.answered_at == response.answered_at) & (Response.id > response.id),
            ),
        )
    )
    return AnswerFacts(
        response_id=response_id,
        contact_id=response.contact_id,
        email=email,
        contact_crm_id=crm_id,
        kind=response.kind,
        score=response.score,
        answered_at=response.answered_at,
        comment=response.comment,
        superseded=bool(newer),
    )


async def response_of_invitation(*, session: AsyncSession, invitation_id: int) -> int | None:
    return await session.scalar(select(Response.id).where(Response.invitation_id == invitation_id))


async def account_of_case(*, session: AsyncSession, case_id: int) -> tuple[int, bool] | None:
    """The case's account, and whether the case has an answer (a health case has none)."""
    row = (
        await session.execute(
            select(FollowUpCase.account_id, FollowUpCase.response_id).where(
                FollowUpCase.id == case_id
            )
        )
    ).one_or_none()
    return None if row is None else (row[0], row[1] is not None)


async def account_figures(
    *, session: AsyncSession, account_id: int, since: datetime
) -> tuple[str | None, float | None, int]:
    """The account's crm_id, its NPS over the answers since `since` (None without any) and
    how many of its cases are open."""
    crm_id = await session.scalar(select(Account.crm_id).where(Account.id == account_id))
    split = to_split(
        (
            await session.execute(
                select(*split_columns()).where(
                    Response.account_id == account_id, Response.answered_at >= since
                )
            )
        ).one()
    )
    open_cases = await session.scalar(
        select(func.count())
        .select_from(FollowUpCase)
        .where(FollowUpCase.account_id == account_id, FollowUpCase.closed_at.is_(None))
    )
    return crm_id, split.nps, int(open_cases or 0)


async def case_facts(*, session: AsyncSession, case_id: int) -> CaseFacts | None:
    """An answer's case as the CRM note shows it; None for a health case (no answer, no
    contact: nothing to note on a contact; its account's open cases are still pushed)."""
    row = (
        await session.execute(
            select(FollowUpCase, Response.comment, Response.answered_at, Contact, Account.crm_id)
            .join(Response, Response.id == FollowUpCase.response_id)
            .join(Contact, Contact.id == FollowUpCase.contact_id)
            .join(Account, Account.id == FollowUpCase.account_id)
            .where(FollowUpCase.id == case_id)
        )
    ).one_or_none()
    if row is None:
        return None
    case, comment, answered_at, contact, account_crm_id = row
    return CaseFacts(
        case_id=case_id,
        contact_id=contact.id or 0,  # joined: the answer's contact, never None
        email=contact.email,
        contact_crm_id=contact.crm_id,
        account_crm_id=account_crm_id,
        kind=case.kind,
        score=case.score,
        comment=comment,
        answered_at=answered_at,
        channel=case.channel,
        message_ts=case.message_ts,
        outcome=case.outcome,
        note=case.note,
        closed_at=case.closed_at,
    )


async def latest_response(*, session: AsyncSession, contact_id: int) -> int | None:
    """The contact's latest answer: the one its voc_* fields show."""
    return await session.scalar(
        select(Response.id)
        .where(Response.contact_id == contact_id)
        .order_by(Response.answered_at.desc(), Response.id.desc())
        .limit(1)
    )


async def latest_responses_with_comment_before(
    *, session: AsyncSession, before: datetime
) -> list[int]:
    """The contacts' latest answers that still hold a comment given before `before`: what
    blanking verbatims past RETAIN_COMMENTS changes in the CRM."""
    latest = (
        select(
            Response.id,
            Response.comment,
            Response.answered_at,
            func.row_number()
            .over(
                partition_by=Response.contact_id,
                order_by=(Response.answered_at.desc(), Response.id.desc()),
            )
            .label("rank"),
        )
    ).subquery()
    rows = await session.execute(
        select(latest.c.id).where(
            latest.c.rank == 1, latest.c.comment.is_not(None), latest.c.answered_at < before
        )
    )
    return [int(i) for i in rows.scalars()]


async def note_of_case(*, session: AsyncSession, case_id: int) -> CrmNote | None:
    return (
        await session.execute(select(CrmNote).where(CrmNote.case_id == case_id).limit(1))
    ).scalar_one_or_none()


async def record_note(
    *,
    session: AsyncSession,
    key: str,
    crm: str,
    crm_note_id: str,
    contact_id: int,
    case_id: int,
    now: datetime,
) -> None:
    """Remember a note put on a timeline (once: the key is unique)."""
    known = await session.scalar(select(CrmNote.id).where(CrmNote.key == key))
    if known is None:
        await session.execute(
            insert(CrmNote).values(
                key=key,
                crm=crm,
                crm_note_id=crm_note_id,
                contact_id=contact_id,
                case_id=case_id,
                created_at=now,
            )
        )


async def notes_of_contact(*, session: AsyncSession, contact_id: int) -> list[str]:
    rows = await session.execute(
        select(CrmNote.crm_note_id).where(CrmNote.contact_id == contact_id).order_by(CrmNote.id)
    )
    return list(rows.scalars())


async def forget_notes(*, session: AsyncSession, crm_note_ids: Collection[str]) -> None:
    await session.execute(delete(CrmNote).where(CrmNote.crm_note_id.in_(list(crm_note_ids))))


async def drop_pending(
    *, session: AsyncSession, response_ids: Collection[int], case_ids: Collection[int]
) -> int:
    """Undelivered CRM events about these answers and cases: nothing of a forgotten person
    is pushed after `forget` (its own clearing event is added after this)."""
    payload = E.payload
    about = or_(
        payload["response_id"].as_integer().in_(list(response_ids)),
        payload["case_id"].as_integer().in_(list(case_ids)),
    )
    result = await session.execute(
        delete(E)
        .where(E.sink == CRM, E.delivered_at.is_(None), about)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # DML gives a CursorResult


async def settle(*, session: AsyncSession, id: int, now: datetime, note: str | None) -> None:
    """Mark an event delivered; `note` says why nothing was written (e.g. NOT_IN_CRM)."""
    await session.execute(
        update(E)
        .where(E.id == id, E.delivered_at.is_(None))
        .values(delivered_at=now, lease_until=None, last_error=note)
        .execution_options(synchronize_session=False)
    )


async def wait(*, session: AsyncSession, id: int, due_at: datetime) -> None:
    """Due again at `due_at` without counting a failure (e.g. waiting for a card's link)."""
    await session.execute(
        update(E)
        .where(E.id == id, E.delivered_at.is_(None))
        .values(due_at=due_at, lease_until=None)
        .execution_options(synchronize_session=False)
    )


async def hold(*, session: AsyncSession, id: int, due_at: datetime, error: str) -> None:
    """Due again at `due_at` with `error` shown, no attempt counted (the push is paused)."""
    await session.execute(
        update(E)
        .where(E.id == id, E.delivered_at.is_(None))
        .values(due_at=due_at, lease_until=None, last_error=error[:ERROR_LENGTH])
        .execution_options(synchronize_session=False)
    )


async def release(*, session: AsyncSession, ids: Collection[int]) -> None:
    """Give claimed events back untouched: due as they were (the push paused)."""
    await session.execute(
        update(E)
        .where(E.id.in_(list(ids)), E.delivered_at.is_(None))
        .values(lease_until=None)
        .execution_options(synchronize_session=False)
    )


async def push_state(*, session: AsyncSession, limit: int = 50) -> PushState:
    crm = E.sink == CRM
    pending = await session.scalar(
        select(func.count())
        .select_from(E)
        .where(crm, E.delivered_at.is_(None), E.dead_at.is_(None))
    )
    columns = (E.id, E.type, E.created_at, E.attempts, E.last_error)
    failing = await session.execute(
        select(*columns)
        .where(
            crm,
            E.delivered_at.is_(None),
            E.dead_at.is_(None),
            or_(E.attempts > 0, E.last_error.is_not(None)),
        )
        .order_by(E.id)
        .limit(limit)
    )
    dead = await session.execute(
        select(*columns)
        .where(crm, E.delivered_at.is_(None), E.dead_at.is_not(None))
        .order_by(E.id)
        .limit(limit)
    )
    nobody = E.last_error == NOT_IN_CRM
    delivered = await session.execute(
        select(nobody, func.count()).where(crm, E.delivered_at.is_not(None)).group_by(nobody)
    )
    counts: dict[bool, int] = {bool(flag): int(n) for flag, n in delivered.all()}
    return PushState(
        pending=int(pending or 0),
        failing=[PushEvent(*row) for row in failing.all()],
        dead=[PushEvent(*row) for row in dead.all()],
        delivered=counts.get(False, 0),
        not_in_crm=counts.get(True, 0),
    )


async def last_sync(*, session: AsyncSession, crm: str) -> SyncState | None:
    row = (await session.execute(select(CrmSync).where(CrmSync.crm == crm))).scalar_one_or_none()
    if row is None:
        return None
    return SyncState(row.started_at, row.finished_at, row.summary, row.error)


async def revive(*, session: AsyncSession, id: int, now: datetime) -> bool:
    """`crm retry ID`: a dead CRM event due now with a fresh count; False when none."""
    result = await session.execute(
        update(E)
        .where(E.id == id, E.sink == CRM, E.dead_at.is_not(None), E.delivered_at.is_(None))
        .values(dead_at=None, due_at=now, attempts=0, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def note_pending(*, session: AsyncSession, case_id: int, type: str) -> bool:
    """Whether the case's note event is still to be delivered (an outcome waits for it)."""
    found = await session.scalar(
        select(E.id)
        .where(
            E.sink == CRM,
            E.type == type,
            E.delivered_at.is_(None),
            E.dead_at.is_(None),
            E.payload["case_id"].as_integer() == case_id,
        )
        .limit(1)
    )
    return found is not None


async def person_ids(*, session: AsyncSession, contact_id: int) -> tuple[list[int], list[int]]:
    """The person's answers and cases, by id: what their pending events name."""
    responses = await session.execute(select(Response.id).where(Response.contact_id == contact_id))
    cases = await session.execute(
        select(FollowUpCase.id).where(FollowUpCase.contact_id == contact_id)
    )
    return [int(i) for i in responses.scalars()], [int(i) for i in cases.scalars()]


async def contact_by_email(*, session: AsyncSession, email: str) -> tuple[int, str | None] | None:
    row = (
        await session.execute(select(Contact.id, Contact.crm_id).where(Contact.email == email))
    ).one_or_none()
    return None if row is None else (int(row.id), row.crm_id)


async def claim_one(
    *, session: AsyncSession, event_id: str, now: datetime, lease: timedelta
) -> Claimed | None:
    """Lease one CRM event by its event id, as `outbox.claim_due` would (None when someone
    else holds it or it is done)."""
    result = await session.execute(
        update(E)
        .where(
            E.event_id == event_id,
            E.sink == CRM,
            E.delivered_at.is_(None),
            E.dead_at.is_(None),
            or_(E.lease_until.is_(None), E.lease_until < now),
        )
        .values(lease_until=now + lease, tried_at=func.coalesce(E.tried_at, now))
        .returning(E.id, E.event_id, E.type, E.payload, E.created_at, E.attempts, E.tried_at)
        .execution_options(synchronize_session=False)
    )
    r = result.one_or_none()
    if r is None:
        return None
    return Claimed(r.id, r.event_id, r.type, r.payload, r.created_at, r.attempts, r.tried_at < now)
