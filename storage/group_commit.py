"""Group commit: small units of database work that arrive together share one transaction.

A tap is a handful of statements; committing each tap on its own made the transaction, not
the work, the limit (one writer on SQLite, one commit per tap on PostgreSQL). `GroupCommit`
collects units for a few milliseconds (or until it holds `max_batch`), runs them one after
another in a single transaction and commits once. Each unit still decides its own outcome
with its own statements (a conditional UPDATE stays per row), and its caller gets its own
result only after the commit.

Units of one kind can also share their statements (`run_many`): the batch hands all the
items of one `many` function to a single call, which answers each item in order (one
`UPDATE … WHERE id IN (…) RETURNING` for all, one multi-row `INSERT`), so a batch costs a
few statements rather than a few per unit.

A unit must keep its effects inside the session: if any unit raises, the whole batch rolls
back and every unit runs again alone (a `many` item as a batch of one), in its own
transaction, so one bad unit costs the others nothing but a retry and its caller gets its
own exception.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database

T = TypeVar("T")
ItemT = TypeVar("ItemT")  # an item of a `many` batch
Unit = Callable[[AsyncSession], Awaitable[Any]]
# Answers a list of items in one go, one result per item, in order.
Many = Callable[[AsyncSession, list[ItemT]], Awaitable[list[T]]]

MAX_BATCH = 64  # units per transaction
MAX_WAIT = 0.002  # seconds the first unit of a batch waits for company
# Batches committing at once: SQLite has one writer anyway; PostgreSQL runs a few side by
# side, so a batch waiting on its round trips does not hold up the next.
BATCHES = {"sqlite": 1}
DEFAULT_BATCHES = 4


@dataclass(eq=False)
class _Pending:
    unit: Unit  # the work alone (for an item of a `many` batch: a batch of one)
    many: Many[Any, Any] | None = None  # items with the same `many` share one call
    item: Any = None
    done: asyncio.Future[Any] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class GroupCommit:
    """Runs units of work in shared transactions; see the module docstring."""

    def __init__(
        self,
        db: Database,
        *,
        max_batch: int = MAX_BATCH,
        max_wait: float = MAX_WAIT,
        batches: int | None = None,
    ) -> None:
        self.db = db
        self.max_batch = max_batch
        self.max_wait = max_wait
        self.batches = batches or BATCHES.get(db.dialect, DEFAULT_BATCHES)
        self._committing: set[asyncio.Task[None]] = set()
        self._queue: list[_Pending] = []
        self._wake: asyncio.Future[None] | None = None  # set when a waiting batch fills up
        self._flusher: asyncio.Task[None] | None = None

    async def run(self, unit: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run `unit` in the next batch's transaction; its result once that commits."""
        return await self._enqueue(_Pending(unit))

    async def run_many(self, item: ItemT, many: Many[ItemT, T]) -> T:
        """Answer `item` in the next batch's transaction, in one `many` call with its peers."""

        async def alone(session: AsyncSession) -> T:
            return (await many(session, [item]))[0]

        return await self._enqueue(_Pending(alone, many=many, item=item))

    async def _enqueue(self, pending: _Pending) -> Any:
        self._queue.append(pending)
        if len(self._queue) >= self.max_batch and self._wake and not self._wake.done():
            self._wake.set_result(None)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_all())
        return await asyncio.shield(pending.done)

    async def _flush_all(self) -> None:
        try:
            await self._flush_queue()
        except BaseException as exc:  # cancelled at shutdown: no caller waits forever
            _fail(self._queue, exc)
            self._queue = []
            raise

    async def _flush_queue(self) -> None:
        while self._queue:
            if len(self._queue) < self.max_batch:
                self._wake = asyncio.get_running_loop().create_future()
                await asyncio.wait([self._wake], timeout=self.max_wait)
                self._wake = None
            while len(self._committing) >= self.batches:  # the queue fills meanwhile
                await asyncio.wait(set(self._committing), return_when=asyncio.FIRST_COMPLETED)
            batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
            task = asyncio.create_task(self._commit(batch))
            self._committing.add(task)
            task.add_done_callback(self._committing.discard)

    async def _commit(self, batch: list[_Pending]) -> None:
        try:
            async with self.db.transaction() as session:
                results = await _run_batch(session, batch)
        except Exception:
            await asyncio.gather(*(self._commit_alone(pending) for pending in batch))
            return
        except BaseException as exc:
            _fail(batch, exc)
            raise
        for pending in batch:
            if not pending.done.done():
                pending.done.set_result(results[id(pending)])

    async def _commit_alone(self, pending: _Pending) -> None:
        try:
            async with self.db.transaction() as session:
                result = await pending.unit(session)
        except Exception as exc:
            if not pending.done.done():
                pending.done.set_exception(exc)
            return
        if not pending.done.done():
            pending.done.set_result(result)


async def _run_batch(session: AsyncSession, batch: list[_Pending]) -> dict[int, Any]:
    """Each unit's result by its `id()`; the items of one `many` in one call, in order."""
    groups: dict[object, list[_Pending]] = {}
    for pending in batch:
        groups.setdefault(pending.many or id(pending), []).append(pending)
    results: dict[int, Any] = {}
    for group in groups.values():
        many = group[0].many
        if many is None:
            answers = [await group[0].unit(session)]
        else:
            answers = await many(session, [pending.item for pending in group])
            if len(answers) != len(group):
                raise RuntimeError(f"{many} answered {len(answers)} of {len(group)} items")
        results.update(zip(map(id, group), answers, strict=True))
    return results


def _fail(batch: list[_Pending], exc: BaseException) -> None:
    for pending in batch:
        if not pending.done.done():
            pending.done.set_exception(exc)
