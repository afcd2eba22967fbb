"""Queries of question sets (every version kept) and the follow-up answers given to them."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.question_sets import FollowUpSummary, QuestionSet, check_set, summarise
from storage.models import FollowUpAnswer, Invitation, QuestionSetVersion


def _set(row: QuestionSetVersion) -> QuestionSet:
    checked = check_set(row.name, row.definition)
    return replace(checked, version=row.version, set_id=row.id)


async def current(*, session: AsyncSession) -> list[QuestionSet]:
    """The newest version of every set that is switched on, by name."""
    return [_set(row) for row in await _newest(session) if row.active]


async def newest_rows(*, session: AsyncSession) -> dict[str, QuestionSetVersion]:
    return {row.name: row for row in await _newest(session)}


async def _newest(session: AsyncSession) -> list[QuestionSetVersion]:
    newest = (
        select(QuestionSetVersion.name, func.max(QuestionSetVersion.version).label("version"))
        .group_by(QuestionSetVersion.name)
        .subquery()
    )
    rows = await session.execute(
        select(QuestionSetVersion)
        .join(
            newest,
            (QuestionSetVersion.name == newest.c.name)
            & (QuestionSetVersion.version == newest.c.version),
        )
        .order_by(QuestionSetVersion.name)
    )
    return list(rows.scalars().all())


async def by_id(*, session: AsyncSession, set_id: int) -> QuestionSet | None:
    row = await session.get(QuestionSetVersion, set_id)
    return _set(row) if row is not None else None


async def versions(*, session: AsyncSession, name: str) -> list[QuestionSet]:
    rows = await session.execute(
        select(QuestionSetVersion)
        .where(QuestionSetVersion.name == name)
        .order_by(QuestionSetVersion.version)
    )
    return [_set(row) for row in rows.scalars().all()]


async def add_version(
    *,
    session: AsyncSession,
    qset: QuestionSet,
    source: str,
    by: str | None,
    now: datetime,
    active: bool = True,
) -> QuestionSet:
    """A new version of the set (1 for a new name); earlier versions stay as they were."""
    latest = await session.scalar(
        select(func.max(QuestionSetVersion.version)).where(QuestionSetVersion.name == qset.name)
    )
    row = QuestionSetVersion(
        name=qset.name,
        version=(latest or 0) + 1,
        trigger=qset.trigger,
        metric=qset.metric,
        definition=qset.definition(),
        source=source,
        active=active,
        created_by=by,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return replace(qset, version=row.version, set_id=row.id)


async def save_answer(
    *,
    session: AsyncSession,
    invitation_id: int,
    set_id: int,
    key: str,
    value: str,
    themes: list[str],
    now: datetime,
) -> bool:
    """Record an answer; False when that question of that invitation was answered already
    (the first answer counts, as with the score)."""
    found = await session.scalar(
        select(FollowUpAnswer.id).where(
            FollowUpAnswer.invitation_id == invitation_id, FollowUpAnswer.question_key == key
        )
    )
    if found is not None:
        return False
    session.add(
        FollowUpAnswer(
            invitation_id=invitation_id,
            question_set_id=set_id,
            question_key=key,
            value=value,
            themes=themes,
            answered_at=now,
        )
    )
    await session.flush()
    return True


async def answers(
    *, session: AsyncSession, invitation_ids: list[int]
) -> dict[int, dict[str, tuple[int, str]]]:
    """invitation id → question key → (set version id, value)."""
    out: dict[int, dict[str, tuple[int, str]]] = {}
    for start in range(0, len(invitation_ids), 500):
        rows = await session.execute(
            select(
                FollowUpAnswer.invitation_id,
                FollowUpAnswer.question_key,
                FollowUpAnswer.question_set_id,
                FollowUpAnswer.value,
            ).where(FollowUpAnswer.invitation_id.in_(invitation_ids[start : start + 500]))
        )
        for invitation_id, key, set_id, value in rows.all():
            out.setdefault(invitation_id, {})[key] = (set_id, value)
    return out


async def answered_since(
    *, session: AsyncSession, since: datetime, until: datetime
) -> list[tuple[int, str, str, list[str]]]:
    """(set version id, question key, value, themes) of answers in [since, until)."""
    rows = await session.execute(
        select(
            FollowUpAnswer.question_set_id,
            FollowUpAnswer.question_key,
            FollowUpAnswer.value,
            FollowUpAnswer.themes,
        )
        .join(Invitation, Invitation.id == FollowUpAnswer.invitation_id)
        .where(FollowUpAnswer.answered_at >= since, FollowUpAnswer.answered_at < until)
    )
    return [(s, k, v, list(t or [])) for s, k, v, t in rows.all()]


async def every_key(*, session: AsyncSession) -> list[str]:
    """Every question key answered or defined, in the order first seen (export columns)."""
    keys: list[str] = []
    rows = await session.execute(
        select(QuestionSetVersion.definition).order_by(QuestionSetVersion.id)
    )
    for (definition,) in rows.all():
        for question in definition.get("questions", []):
            if question.get("key") not in keys:
                keys.append(question["key"])
    answered = await session.execute(select(FollowUpAnswer.question_key).distinct())
    keys += sorted(k for (k,) in answered.all() if k not in keys)
    return keys


async def milestone_day(*, session: AsyncSession, invitation_id: int) -> int | None:
    """The day N of the milestone survey an invitation is (its ask's key "milestone:N")."""
    from storage.models import MilestoneAsk

    key = await session.scalar(
        select(MilestoneAsk.key).where(MilestoneAsk.invitation_id == invitation_id)
    )
    day = str(key or "").rpartition(":")[2]
    return int(day) if day.isdigit() else None


async def last_from_file(*, session: AsyncSession, name: str) -> dict | None:
    """The definition SURVEYS_FILE last gave the set, or None."""
    definition = await session.scalar(
        select(QuestionSetVersion.definition)
        .where(QuestionSetVersion.name == name, QuestionSetVersion.source == "file")
        .order_by(QuestionSetVersion.version.desc())
        .limit(1)
    )
    return dict(definition) if definition is not None else None


async def answers_by_response(
    *, session: AsyncSession, response_ids: list[int]
) -> dict[int, dict[str, tuple[int, str]]]:
    """response id → question key → (set version id, value): the export's extra columns."""
    from storage.models import Response

    out: dict[int, dict[str, tuple[int, str]]] = {}
    if not response_ids:
        return out
    rows = await session.execute(
        select(
            Response.id,
            FollowUpAnswer.question_key,
            FollowUpAnswer.question_set_id,
            FollowUpAnswer.value,
        )
        .join(FollowUpAnswer, FollowUpAnswer.invitation_id == Response.invitation_id)
        .where(Response.id.in_(response_ids))
    )
    for response_id, key, set_id, value in rows.all():
        out.setdefault(response_id, {})[key] = (set_id, value)
    return out


async def followup_summary(
    *, session: AsyncSession, since: datetime, until: datetime
) -> list[FollowUpSummary]:
    """The digest's follow-up figures for answers given in [since, until)."""
    rows = await answered_since(session=session, since=since, until=until)
    sets: dict[int, QuestionSet] = {}
    for set_id in {row[0] for row in rows}:
        found = await by_id(session=session, set_id=set_id)
        if found is not None:
            sets[set_id] = found
    return summarise(rows, sets)
