"""Jira: the issue a feature request was pushed as, and the status poll's cursor

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 04:00:00

A feature request remembers the Jira issue it became (`jira_key`, looked up when a webhook
names the issue), when its push was enqueued (`jira_queued_at`: a request is enqueued once)
and the status category Jira last showed (`jira_category`: a webhook and a poll reporting
the same change act once). `jira_polls` holds the `updated >=` cursor of each project's poll
and the lease that keeps two workers from polling at once.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from storage.models import UTCDateTime

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.add_column("feature_requests", sa.Column("jira_key", _text(32), nullable=True))
    op.add_column("feature_requests", sa.Column("jira_queued_at", UTCDateTime(), nullable=True))
    op.add_column("feature_requests", sa.Column("jira_category", _text(20), nullable=True))
    op.create_index("ix_feature_requests_jira_key", "feature_requests", ["jira_key"])
    op.create_table(
        "jira_polls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project", _text(20), nullable=False),
        sa.Column("cursor", UTCDateTime(), nullable=True),
        sa.Column("polled_at", UTCDateTime(), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("error", _text(300), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project"),
    )


def downgrade() -> None:
    op.drop_table("jira_polls")
    op.drop_index("ix_feature_requests_jira_key", table_name="feature_requests")
    with op.batch_alter_table("feature_requests") as batch:
        for name in ("jira_category", "jira_queued_at", "jira_key"):
            batch.drop_column(name)
