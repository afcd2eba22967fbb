"""Reach directory: Slack's users from bulk listings, cached with when they were listed

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 11:30:00

`reach_users` holds the people `users.list` (members and guests of our workspace) and the
Slack Connect channels' `conversations.members` + `users.info` showed, by user id with their
email, team, zone and locale. `reach_listings` holds one row per listing (`users.list`):
when it started, the cursor to go on from, and when it completed; a contact absent from a
complete, fresh listing is not looked up one by one.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from storage.models import UTCDateTime

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reach_users",
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("tz", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("locale", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("seen_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_index("ix_reach_users_email", "reach_users", ["email"])
    op.create_table(
        "reach_listings",
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("cursor", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.PrimaryKeyConstraint("source"),
    )


def downgrade() -> None:
    op.drop_table("reach_listings")
    op.drop_index("ix_reach_users_email", table_name="reach_users")
    op.drop_table("reach_users")
