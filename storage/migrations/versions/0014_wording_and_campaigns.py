"""Question wording and campaigns: an admin's own question text, and what each `send` made

Revision ID: 0014
Revises: 0011
Create Date: 2026-11-30 09:00:00

`question_wordings` holds one template per survey kind and language (placeholders filled
per contact at send time); `campaigns` holds one row per `send`, and
`invitations.campaign_id` names the campaign an invitation belongs to, so a campaign can be
listed, cancelled or rescheduled; `invitations.question` keeps the question a survey asked
when it was not the default wording, so its message looks the same when redrawn.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from storage.models import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "question_wordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("template", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "language", name="uq_question_wordings"),
    )
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("audience", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("campaign_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("question", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_invitations_campaign_id"), ["campaign_id"])
        batch_op.create_foreign_key(
            "fk_invitations_campaign_id", "campaigns", ["campaign_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_constraint("fk_invitations_campaign_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_invitations_campaign_id"))
        batch_op.drop_column("question")
        batch_op.drop_column("campaign_id")
    op.drop_table("campaigns")
    op.drop_table("question_wordings")
