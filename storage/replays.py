"""Requests already handled, by key: signed `/voc` requests and view submissions
(see `bot/services/replays.py`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CommandSeen


async def first_sighting(*, session: AsyncSession, key: str, now: datetime) -> bool:
    """Record `key`; False when it was already there (the unique key refuses a second)."""
    try:
        async with session.begin_nested():
            await session.execute(insert(CommandSeen).values(key=key, seen_at=now))
    except IntegrityError:
        return False
    return True


async def forget(*, session: AsyncSession, key: str) -> None:
    """Drop one key: the request it stands for may be handled again."""
    await session.execute(delete(CommandSeen).where(CommandSeen.key == key))


async def forget_before(*, session: AsyncSession, before: datetime) -> None:
    """Drop keys older than Slack's replay window: a request that old is refused anyway."""
    await session.execute(delete(CommandSeen).where(CommandSeen.seen_at < before))
