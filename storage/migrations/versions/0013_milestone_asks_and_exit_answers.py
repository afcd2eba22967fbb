"""Day-N milestones and the exit survey: the asks a milestone owes, and exit answers

Revision ID: 0013
Revises: 0011
Create Date: 2026-11-30 09:00:00

`milestone_asks` holds one row per survey a milestone owes a contact (day 30/60/90 after
onboarding_started, activated or customer_since; a renewal's CES a week later; a churn's
exit survey), due at `due_at`; its unique (contact_id, key) asks each once whatever the
number of processes. `exit_answers` keeps the reasons and comment of an exit survey.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from storage.models import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "milestone_asks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("milestone", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("anchor", sa.Date(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"]),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitations.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("contact_id", "key", name="uq_milestone_asks_key"),
    )
    op.create_index("ix_milestone_asks_due", "milestone_asks", ["invitation_id", "due_at"])
    op.create_table(
        "exit_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("insight_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=False),
        sa.Column("csm_notified_at", UTCDateTime(), nullable=True),
        sa.Column("csm_lease_until", UTCDateTime(), nullable=True),
        sa.Column("csm_error", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"]),
        sa.ForeignKeyConstraint(["insight_id"], ["insights.id"]),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitations.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invitation_id"),
    )
    op.create_index("ix_exit_answers_contact_id", "exit_answers", ["contact_id"])


def downgrade() -> None:
    op.drop_index("ix_exit_answers_contact_id", table_name="exit_answers")
    op.drop_table("exit_answers")
    op.drop_index("ix_milestone_asks_due", table_name="milestone_asks")
    op.drop_table("milestone_asks")
