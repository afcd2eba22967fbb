"""Question sets: versions of the follow-ups a team designs per moment, and the answers

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 04:30:00

`question_sets` holds every version of every set (a change adds a row, never edits one);
`followup_answers` one answer per invitation and question key, naming the version it was
asked in.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from storage.models import UTCDateTime

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "question_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", _text(40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("trigger", _text(40), nullable=False),
        sa.Column("metric", _text(8), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("source", _text(10), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", _text(32), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", "version", name="uq_question_sets_version"),
    )
    op.create_index("ix_question_sets_name", "question_sets", ["name"])
    op.create_table(
        "followup_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("question_set_id", sa.Integer(), nullable=False),
        sa.Column("question_key", _text(40), nullable=False),
        sa.Column("value", _text(500), nullable=False),
        sa.Column("themes", sa.JSON(), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitations.id"]),
        sa.ForeignKeyConstraint(["question_set_id"], ["question_sets.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invitation_id", "question_key", name="uq_followup_answers_key"),
    )
    op.create_index("ix_followup_answers_invitation_id", "followup_answers", ["invitation_id"])


def downgrade() -> None:
    op.drop_index("ix_followup_answers_invitation_id", table_name="followup_answers")
    op.drop_table("followup_answers")
    op.drop_index("ix_question_sets_name", table_name="question_sets")
    op.drop_table("question_sets")
