"""Finding, exporting and erasing what is held about one person, across every table.

Rows are found two ways: by a `contact_id` column (and case logs by their case), and by
any text or JSON column that mentions the person's email, name or Slack id, so a table
added later is covered without a change here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    String,
    Table,
    TypeDecorator,
    cast,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from bot.domain.records import Person
from storage import erasure
from storage.erasure import ERASED
from storage.models import (
    CaseLog,
    Contact,
    ExitAnswer,
    FollowUpCase,
    IngestedEvent,
    Insight,
    Invitation,
    ReachUser,
    Response,
    ShipNotice,
)

EXPIRED = "[removed after the retention period]"


async def find_person(*, session: AsyncSession, email: str) -> Person | None:
    contact = (
        await session.execute(select(Contact).where(Contact.email == email))
    ).scalar_one_or_none()
    if contact is None or contact.id is None:
        return None
    return Person(contact.id, contact.email, contact.name, contact.slack_user_id)


def _tables() -> list[Table]:
    return list(SQLModel.metadata.sorted_tables)


def text_columns(table: Table) -> list[Any]:
    """The table's text and JSON columns (SQLModel's AutoString wraps a String)."""
    return [c for c in table.columns if isinstance(_base(c.type), String | JSON)]


def _base(kind: Any) -> Any:
    return kind.impl if isinstance(kind, TypeDecorator) else kind


async def rows_naming(*, session: AsyncSession, person: Person) -> dict[str, list[dict[str, Any]]]:
    """Every row, per table, linked to the person or whose text mentions them."""
    found: dict[str, list[dict[str, Any]]] = {}
    pattern = person.pattern()
    case_ids = await _case_ids(session, person.contact_id)
    for table in _tables():
        conditions = [_mentions(column, person) for column in text_columns(table)]
        if "contact_id" in table.columns:
            conditions.append(table.c.contact_id == person.contact_id)
        if table.name == "contacts":
            conditions.append(table.c.id == person.contact_id)
        if table.name == CaseLog.__tablename__ and case_ids:
            conditions.append(table.c.case_id.in_(case_ids))
        if not conditions:
            continue
        result = await session.execute(
            select(table).where(or_(*conditions)).order_by(*table.primary_key)
        )
        rows = [dict(row) for row in result.mappings()]
        kept = [r for r in rows if _linked(table, r, person, case_ids) or _named(r, pattern)]
        if kept:
            found[table.name] = kept
    return found


async def erase(*, session: AsyncSession, person: Person, now: datetime) -> dict[str, int]:
    """Erase the person everywhere; scores stay, anonymous, for the aggregates.

    Returns how many rows changed, per table and what.
    """
    changed: dict[str, int] = {}
    pid = person.contact_id
    case_ids = await _case_ids(session, pid)
    response_ids = select(Response.id).where(Response.contact_id == pid)

    async def run(label: str, statement: Any) -> None:
        result = await session.execute(statement.execution_options(synchronize_session=False))
        count = int(result.rowcount or 0)  # type: ignore[attr-defined]  # DML gives a CursorResult
        if count:
            changed[label] = changed.get(label, 0) + count

    await run(
        "contacts (email, name, Slack id)",
        update(Contact)
        .where(Contact.id == pid)
        .values(
            email=erasure.erased_address(pid),
            name=None,
            slack_user_id=None,
            slack_team_id=None,
            tz=None,
            locale=None,
            opted_out=True,  # never surveyed again, by any path (bot/domain/eligibility.py)
            opted_out_at=func.coalesce(Contact.opted_out_at, now),
            updated_at=now,
        ),
    )
    await run(
        "responses (comments)",
        update(Response)
        .where(Response.contact_id == pid, Response.comment.is_not(None))
        .values(comment=None, commented_at=None),
    )
    await run(
        "insights (texts)",
        update(Insight)
        .where(or_(Insight.contact_id == pid, Insight.response_id.in_(response_ids)))
        .values(text=ERASED, competitor=None),
    )
    await run(
        "cases (notes)",
        update(FollowUpCase)
        .where(FollowUpCase.contact_id == pid, FollowUpCase.note.is_not(None))
        .values(note=ERASED),
    )
    if case_ids:
        await run(
            "case history (notes)",
            update(CaseLog).where(CaseLog.case_id.in_(case_ids)).values(note=ERASED),
        )
    await run(
        "invitations (question asked)",  # it may name them (bot/services/wording.py)
        update(Invitation)
        .where(Invitation.contact_id == pid, Invitation.question.is_not(None))
        .values(question=None),
    )
    await run(
        "invitations (DM channel)",
        update(Invitation)
        .where(Invitation.contact_id == pid, Invitation.dm_channel.is_not(None))
        .values(dm_channel=None),
    )
    await run(
        "events received (email)",
        update(IngestedEvent).where(IngestedEvent.email == person.email).values(email=ERASED),
    )
    for notice_id in (
        await session.execute(select(ShipNotice.id).where(ShipNotice.contact_id == pid))
    ).scalars():
        await run(
            "ship notices (Slack id)",
            update(ShipNotice)
            .where(ShipNotice.id == notice_id)
            .values(user_id=f"erased-{notice_id}"),
        )
    listed = [ReachUser.email == person.email.lower()]
    if person.slack_user_id:
        listed.append(ReachUser.user_id == person.slack_user_id)
    await run("Slack listing cache (deleted)", delete(ReachUser).where(or_(*listed)))
    invitation_ids = await _ids(session, select(Invitation.id).where(Invitation.contact_id == pid))
    steps = [
        await erasure.close_surveys(session=session, contact_id=pid, now=now),
        await erasure.blank_answers(session=session, contact_id=pid),
        await erasure.redact_context(session=session, contact_id=pid),
        await erasure.redact_outbox(
            session=session,
            invitation_ids=invitation_ids,
            response_ids=await _ids(session, response_ids),
            case_ids=case_ids,
        ),
        await _scrub(session, person),
    ]
    for step in steps:
        for label, count in step.items():
            if count:
                changed[label] = changed.get(label, 0) + count
    return changed


async def _ids(session: AsyncSession, query: Any) -> list[int]:
    return [i for i in (await session.execute(query)).scalars() if i is not None]


async def _scrub(session: AsyncSession, person: Person) -> dict[str, int]:
    """Replace any remaining mention of the person in every text and JSON column."""
    changed: dict[str, int] = {}
    pattern = person.pattern()
    for table in _tables():
        for column in text_columns(table):
            if column.unique or column.primary_key:
                continue
            keys = list(table.primary_key)
            result = await session.execute(select(*keys, column).where(_mentions(column, person)))
            for *key, value in result.all():
                cleaned = _clean(value, pattern)
                if cleaned == value:
                    continue
                where = [k == v for k, v in zip(keys, key, strict=True)]
                await session.execute(update(table).where(*where).values({column.name: cleaned}))
                label = f"{table.name} (mentions)"
                changed[label] = changed.get(label, 0) + 1
    return changed


def _mentions(column: Any, person: Person) -> Any:
    text = column if isinstance(_base(column.type), String) else cast(column, String)
    return or_(*(text.ilike(f"%{needle}%") for needle in person.needles))


def _clean(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, dict):
        return {k: _clean(v, pattern) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v, pattern) for v in value]
    return value


def _named(row: dict[str, Any], pattern: re.Pattern[str]) -> bool:
    return any(_clean(value, pattern) != value for value in row.values())


def _linked(table: Table, row: dict[str, Any], person: Person, case_ids: Iterable[int]) -> bool:
    if table.name == "contacts":
        return row.get("id") == person.contact_id
    if table.name == CaseLog.__tablename__:
        return row.get("case_id") in set(case_ids)
    return row.get("contact_id") == person.contact_id


async def _case_ids(session: AsyncSession, contact_id: int) -> list[int]:
    result = await session.execute(
        select(FollowUpCase.id).where(FollowUpCase.contact_id == contact_id)
    )
    return [i for i in result.scalars() if i is not None]


async def drop_verbatims(*, session: AsyncSession, before: datetime) -> int:
    """Blank the customers' own words given before `before`: survey comments, exit-survey
    comments, answers to "did it solve what you needed?", and the insights taken from them
    or logged before then; scores, reasons, types and themes stay. How many rows changed."""
    blanks = [
        update(Response)
        .where(Response.comment.is_not(None), Response.answered_at < before)
        .values(comment=None),
        update(ExitAnswer)
        .where(ExitAnswer.comment.is_not(None), ExitAnswer.answered_at < before)
        .values(comment=None),
        update(ShipNotice)
        .where(ShipNotice.answer_comment.is_not(None), ShipNotice.answered_at < before)
        .values(answer_comment=None),
        update(Insight)
        .where(Insight.text != EXPIRED, Insight.created_at < before)
        .values(text=EXPIRED),
    ]
    changed = 0
    for statement in blanks:
        result = await session.execute(statement.execution_options(synchronize_session=False))
        changed += int(result.rowcount or 0)  # type: ignore[attr-defined]  # DML: CursorResult
    return changed
