"""Triage: request and theme states, routing to theme owners, the monthly roll-up

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 03:50:00

A feature request's status takes the triage states (`new`, `under review`, `planned`,
`in progress`, `shipped`, `declined`, `known issue`): the column widens to 20 characters and
the stored `open` becomes `new`. A request keeps its last state change (note, when, who) and
whether the monthly "you said, we did" reaches the customers who asked. `theme_states` holds
a theme's state, `owner_routes` each insight routed to its theme owners once, `rollup_runs`
each month's roll-up post once.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from storage.models import UTCDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _widen_status(length: int) -> None:
    before = 10 if length == 20 else 20
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column(
            "feature_requests",
            "status",
            existing_type=_text(before),
            type_=_text(length),
            existing_nullable=False,
        )
        return
    # SQLite stores text the same whatever length is declared, and a table copy would trip
    # the foreign keys that point here: the declared type is rewritten in place, the way
    # SQLite's ALTER TABLE documentation describes for changes that keep the file format.
    bind = op.get_bind()
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = replace(sql, "
        f"'status VARCHAR({before}) NOT NULL', 'status VARCHAR({length}) NOT NULL') "
        "WHERE type = 'table' AND name = 'feature_requests'"
    )
    bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")


def upgrade() -> None:
    _widen_status(20)
    op.execute("UPDATE feature_requests SET status = 'new' WHERE status = 'open'")
    columns: tuple[sa.Column[object], ...] = (
        sa.Column("state_note", _text(500), nullable=True),
        sa.Column("state_at", UTCDateTime(), nullable=True),
        sa.Column("state_by", _text(32), nullable=True),
        sa.Column("tell_customers", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    for column in columns:
        op.add_column("feature_requests", column)
    op.create_table(
        "theme_states",
        sa.Column("theme", _text(40), nullable=False),
        sa.Column("state", _text(20), nullable=False),
        sa.Column("note", _text(500), nullable=True),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.Column("changed_by", _text(32), nullable=True),
        sa.Column("fixed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("theme"),
    )
    op.create_table(
        "owner_routes",
        sa.Column("insight_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("routed_at", UTCDateTime(), nullable=True),
        sa.Column("error", _text(200), nullable=True),
        sa.ForeignKeyConstraint(["insight_id"], ["insights.id"]),
        sa.PrimaryKeyConstraint("insight_id"),
    )
    op.create_table(
        "rollup_runs",
        sa.Column("month", _text(7), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("channel", _text(32), nullable=True),
        sa.Column("message_ts", _text(32), nullable=True),
        sa.Column("posted_at", UTCDateTime(), nullable=True),
        sa.Column("error", _text(200), nullable=True),
        sa.PrimaryKeyConstraint("month"),
    )


def downgrade() -> None:
    op.drop_table("rollup_runs")
    op.drop_table("owner_routes")
    op.drop_table("theme_states")
    with op.batch_alter_table("feature_requests") as batch:
        for name in ("tell_customers", "state_by", "state_at", "state_note"):
            batch.drop_column(name)
    op.execute(
        "UPDATE feature_requests SET status = 'open' "
        "WHERE status NOT IN ('open', 'planned', 'shipped')"
    )
    _widen_status(10)
