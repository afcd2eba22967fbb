"""Queries of the question wordings an admin set (bot/services/wording.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import QuestionWording


async def all_wordings(*, session: AsyncSession) -> dict[tuple[str, str], str]:
    """Every template set, by (kind, language)."""
    rows = await session.execute(
        select(QuestionWording.kind, QuestionWording.language, QuestionWording.template)
    )
    return {(kind, language): template for kind, language, template in rows.all()}


async def put(
    *, session: AsyncSession, kind: str, language: str, template: str, by: str, now: datetime
) -> None:
    """Set the template of a kind and language, replacing any before it."""
    rows = await session.execute(
        select(QuestionWording).where(
            QuestionWording.kind == kind, QuestionWording.language == language
        )
    )
    row = rows.scalars().first()
    if row is None:
        row = QuestionWording(kind=kind, language=language, template=template, updated_at=now)
    row.template, row.updated_by, row.updated_at = template, by, now
    session.add(row)
    await session.flush()


async def remove(*, session: AsyncSession, kind: str, language: str) -> bool:
    """Drop the template of a kind and language; False when there was none."""
    result = await session.execute(
        delete(QuestionWording).where(
            QuestionWording.kind == kind, QuestionWording.language == language
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]  # DML gives a CursorResult
