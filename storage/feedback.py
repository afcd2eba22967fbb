"""Writes and lookups for feedback: insights, their theme tags, feature requests, accounts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.vocabulary import RequestStatus
from storage.models import Account, FeatureRequest, Insight, ThemeTag

SUGGESTIONS_MAX = 100  # Slack shows at most 100 options in an external select


async def search_accounts(
    *, session: AsyncSession, key: str, limit: int = SUGGESTIONS_MAX
) -> list[Account]:
    """Accounts for a type-ahead: names starting with `key` first, then containing it.

    Args:
        key: `name_key` of what was typed; name keys hold no `%` or `_` (they are punctuation).
    """
    starts = Account.name_key.startswith(key)
    query = select(Account)
    if key:
        query = query.where(or_(starts, Account.name_key.contains(key)))
    query = query.order_by(starts.desc(), Account.name_key).limit(limit)
    return list((await session.execute(query)).scalars())


async def accounts_matching(*, session: AsyncSession, key: str) -> list[Account]:
    """The account whose key is `key`, else every account whose key starts with it."""
    exact = (await session.execute(select(Account).where(Account.name_key == key))).scalars()
    found = list(exact)
    if found or not key:
        return found
    query = select(Account).where(Account.name_key.startswith(key)).order_by(Account.name_key)
    return list((await session.execute(query.limit(SUGGESTIONS_MAX))).scalars())


async def add_insight(*, session: AsyncSession, insight: Insight, themes: Iterable[str]) -> int:
    """Store an insight and its rule-given theme tags; its id."""
    session.add(insight)
    await session.flush()
    assert insight.id is not None
    for theme in sorted(set(themes)):
        session.add(ThemeTag(insight_id=insight.id, theme=theme, created_at=insight.created_at))
    await session.flush()
    return insight.id


async def insight_for_response(*, session: AsyncSession, response_id: int) -> Insight | None:
    query = select(Insight).where(Insight.response_id == response_id)
    return (await session.execute(query)).scalar_one_or_none()


async def themes_of(*, session: AsyncSession, insight_id: int) -> list[ThemeTag]:
    query = select(ThemeTag).where(ThemeTag.insight_id == insight_id).order_by(ThemeTag.theme)
    return list((await session.execute(query)).scalars())


async def replace_themes(
    *,
    session: AsyncSession,
    insight_id: int,
    themes: Iterable[str],
    set_by: str | None,
    now: datetime,
) -> None:
    """Make the insight's tags exactly `themes`, recording who set them (None: the rules)."""
    await session.execute(delete(ThemeTag).where(ThemeTag.insight_id == insight_id))
    for theme in sorted(set(themes)):
        session.add(ThemeTag(insight_id=insight_id, theme=theme, set_by=set_by, created_at=now))
    await session.flush()


async def add_theme(
    *, session: AsyncSession, insight_id: int, theme: str, set_by: str | None, now: datetime
) -> None:
    """Tag the insight with `theme` set by `set_by`; a tag it already has changes hands."""
    tags = await themes_of(session=session, insight_id=insight_id)
    found = next((tag for tag in tags if tag.theme == theme), None)
    if found is not None:
        found.set_by = set_by
    else:
        session.add(ThemeTag(insight_id=insight_id, theme=theme, set_by=set_by, created_at=now))
    await session.flush()


async def request_by_key(*, session: AsyncSession, key: str) -> FeatureRequest | None:
    query = select(FeatureRequest).where(FeatureRequest.name_key == key)
    return (await session.execute(query)).scalar_one_or_none()


async def requests_matching(*, session: AsyncSession, key: str) -> list[FeatureRequest]:
    """The request named `key` exactly, else those whose key starts with it."""
    exact = await request_by_key(session=session, key=key)
    if exact is not None or not key:
        return [exact] if exact else []
    query = select(FeatureRequest).where(FeatureRequest.name_key.startswith(key))
    return list(
        (await session.execute(query.order_by(FeatureRequest.name_key).limit(25))).scalars()
    )


async def ensure_request(
    *, session: AsyncSession, name: str, key: str, created_by: str | None, now: datetime
) -> FeatureRequest:
    """The feature request with this key, created on first mention (safe when two race)."""
    await insert_ignoring_duplicates(
        session,
        FeatureRequest,
        {
            "name": name,
            "name_key": key,
            "status": RequestStatus.NEW,
            "created_at": now,
            "created_by": created_by,
        },
    )
    found = await request_by_key(session=session, key=key)
    assert found is not None
    return found


async def insert_ignoring_duplicates(
    session: AsyncSession, table: Any, values: dict[str, Any]
) -> bool:
    """INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL; True when a row was added."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = await session.execute(insert(table).values(**values).on_conflict_do_nothing())
    return bool(result.rowcount)  # type: ignore[attr-defined]  # DML gives a CursorResult


async def claim_share(*, session: AsyncSession, insight_id: int, now: datetime) -> bool:
    """Mark the insight shared to INSIGHTS_CHANNEL; False when it already was."""
    result = await session.execute(
        update(Insight)
        .where(Insight.id == insight_id, Insight.shared_at.is_(None))
        .values(shared_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]  # DML gives a CursorResult
