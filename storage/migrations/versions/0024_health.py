"""Account health: usage figures, the weekly score history, and the cases a drop opens

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 04:30:00

`usage_events` holds usage and support volume per account (the `usage` event and `import
usage`); `account_health` one score an account a week; `health_cases` the cases a drop or
a fall below the floor opened, with `open_account_id` unique while a case is open.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from storage.models import UTCDateTime

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "usage_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("metric", _text(60), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_usage_events_account_at", "usage_events", ["account_id", "at"])
    op.create_index("ix_usage_events_at", "usage_events", ["at"])
    op.create_table(
        "account_health",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("change", sa.Integer(), nullable=True),
        sa.Column("components", sa.JSON(), nullable=True),
        sa.Column("why", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "week", name="uq_account_health_week"),
    )
    op.create_index("ix_account_health_week", "account_health", ["week", "score"])
    op.create_table(
        "health_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("open_account_id", sa.Integer(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("change", sa.Integer(), nullable=True),
        sa.Column("why", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("owner", _text(32), nullable=True),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_by", _text(32), nullable=True),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("escalations", sa.Integer(), nullable=False),
        sa.Column("next_escalation_at", UTCDateTime(), nullable=True),
        sa.Column("channel", _text(32), nullable=True),
        sa.Column("message_ts", _text(32), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("open_account_id"),
    )
    op.create_index("ix_health_cases_account_id", "health_cases", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_health_cases_account_id", table_name="health_cases")
    op.drop_table("health_cases")
    op.drop_index("ix_account_health_week", table_name="account_health")
    op.drop_table("account_health")
    op.drop_index("ix_usage_events_at", table_name="usage_events")
    op.drop_index("ix_usage_events_account_at", table_name="usage_events")
    op.drop_table("usage_events")
