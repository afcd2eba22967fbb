"""Survey links: the hashed tokens of the links in survey emails

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 07:00:00

Each row binds one random link token (kept only as its SHA-256) to one invitation; a
survey email's row is written just before its data goes to the SMTP server.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from storage.models import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "survey_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitations.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(
        op.f("ix_survey_links_invitation_id"), "survey_links", ["invitation_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_survey_links_invitation_id"), table_name="survey_links")
    op.drop_table("survey_links")
