"""Claiming due rows so two processes never take the same one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, select


def claimable(id_column: Any, where: ColumnElement[bool], *order: Any, limit: int) -> Select[Any]:
    """Ids of up to `limit` rows matching `where`, locked, skipping rows others hold.

    Use as `UPDATE … WHERE id IN (claimable(…)) AND where … RETURNING`: on PostgreSQL the
    candidates are locked with `FOR UPDATE SKIP LOCKED`; SQLite has one writer, and the
    repeated `where` makes a second claim of the same row a no-op there. The candidates are
    a materialized CTE rather than `IN (subquery)`: PostgreSQL may run such a subquery once
    per outer row, and with SKIP LOCKED each run picks other rows, so an UPDATE would take
    far more than `limit` rows.
    """
    candidates = (
        select(id_column)
        .where(where)
        .order_by(*order)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("candidates")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    return select(*candidates.c)
