"""Autopilot programs and imported history: surveys that repeat by themselves, past answers

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 06:50:00

`autopilots` holds each rolling cadence (kind, segment, every N days, the first day of
period 0, and when a scheduler pass next plans it); `autopilot_asks` holds one row per
contact and period, whose unique key keeps every contact at one survey per period
whatever the number of processes. `invitations.import_key` marks an answer imported from
another survey tool, so importing the same file again changes nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from storage.models import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("import_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.create_unique_constraint("uq_invitations_import_key", ["import_key"])
    op.create_table(
        "autopilots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("segment", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("every_days", sa.Integer(), nullable=False),
        sa.Column("anchor", sa.Date(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("next_plan_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_autopilots_plan", "autopilots", ["status", "next_plan_at"])
    op.create_table(
        "autopilot_asks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("autopilot_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["autopilot_id"], ["autopilots.id"]),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"]),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitations.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "autopilot_id", "contact_id", "period", name="uq_autopilot_asks_period"
        ),
    )
    op.create_index("ix_autopilot_asks_period", "autopilot_asks", ["autopilot_id", "period"])
    op.create_index(op.f("ix_autopilot_asks_invitation_id"), "autopilot_asks", ["invitation_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_autopilot_asks_invitation_id"), table_name="autopilot_asks")
    op.drop_index("ix_autopilot_asks_period", table_name="autopilot_asks")
    op.drop_table("autopilot_asks")
    op.drop_index("ix_autopilots_plan", table_name="autopilots")
    op.drop_table("autopilots")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_constraint("uq_invitations_import_key", type_="unique")
        batch_op.drop_column("import_key")
