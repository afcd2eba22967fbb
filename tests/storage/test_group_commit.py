"""Units of work that arrive together share one transaction; a failing one costs the rest
nothing but a retry, and its caller alone sees the error."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.group_commit import GroupCommit
from storage.models import Account

pytestmark = pytest.mark.postgres


def _add(name: str):  # type: ignore[no-untyped-def]
    async def unit(session: AsyncSession) -> int:
        inserted = await session.execute(
            insert(Account).values(name=name, name_key=name.lower()).returning(Account.id)
        )
        return inserted.scalar_one()

    return unit


async def _names(db: Database) -> list[str]:
    async with db.session() as session:
        return sorted((await session.execute(select(Account.name))).scalars())


async def test_units_arriving_together_commit_once_and_each_gets_its_own_result(
    db: Database,
) -> None:
    commits = GroupCommit(db, max_batch=8)
    transactions: list[int] = []

    async def count_transaction(session: AsyncSession) -> None:
        # every unit of one batch sees the rows the units before it wrote, uncommitted
        transactions.append((await session.execute(select(func.count(Account.id)))).scalar_one())

    names = [f"A{n}" for n in range(20)]
    ids = await asyncio.gather(*(commits.run(_add(name)) for name in names))
    await commits.run(count_transaction)
    assert len(set(ids)) == 20
    assert await _names(db) == sorted(names)
    assert transactions == [20]


async def test_a_failing_unit_gets_its_error_and_the_others_still_commit(db: Database) -> None:
    await GroupCommit(db).run(_add("Taken"))
    commits = GroupCommit(db, max_batch=8)
    names = ["B1", "B2", "Taken", "B3"]  # the unique name key refuses the third
    results = await asyncio.gather(
        *(commits.run(_add(name)) for name in names), return_exceptions=True
    )
    assert isinstance(results[2], IntegrityError)
    assert all(isinstance(result, int) for i, result in enumerate(results) if i != 2)
    assert await _names(db) == ["B1", "B2", "B3", "Taken"]


async def test_more_units_than_a_batch_all_commit(db: Database) -> None:
    commits = GroupCommit(db, max_batch=3, batches=2)
    names = [f"C{n:02d}" for n in range(10)]
    ids = await asyncio.gather(*(commits.run(_add(name)) for name in names))
    assert len(set(ids)) == 10
    assert await _names(db) == names
