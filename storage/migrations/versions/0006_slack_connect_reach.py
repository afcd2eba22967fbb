"""Slack Connect reach: shared channels, external contacts, how each survey was delivered

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 06:20:00

`accounts.slack_channel` is the account's Slack Connect channel; `contacts.slack_team_id`
tells an external person (another team) from a member, and `slack_checked_at` when Slack
was last asked about them; `invitations.channel` says how a survey reached its person
(`slack`, `slack_channel`, `email`). The index serves the digest's count of contacts that
could not be reached.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from storage.models import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("slack_channel", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("slack_team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
        batch_op.add_column(sa.Column("slack_checked_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.create_index("ix_invitations_closed", ["closed_at", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_invitations_closed")
        batch_op.drop_column("channel")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("slack_checked_at")
        batch_op.drop_column("slack_team_id")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("slack_channel")
