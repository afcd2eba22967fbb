"""Zendesk: the solved tickets seen (once each) and the incremental export's cursor

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 04:00:00

`zendesk_tickets` holds one row a solved ticket, whether it came by webhook or by the
export: a ticket seen again finds its row and asks nothing. `zendesk_syncs` holds the
export's cursor.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from storage.models import UTCDateTime

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "zendesk_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("decision", _text(40), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.Column("solved_at", UTCDateTime(), nullable=True),
        sa.Column("resolution_minutes", sa.Integer(), nullable=True),
        sa.Column("seen_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitations.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id"),
    )
    op.create_index("ix_zendesk_tickets_invitation_id", "zendesk_tickets", ["invitation_id"])
    op.create_table(
        "zendesk_syncs",
        sa.Column("name", _text(20), nullable=False),
        sa.Column("cursor", _text(500), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("zendesk_syncs")
    op.drop_index("ix_zendesk_tickets_invitation_id", table_name="zendesk_tickets")
    op.drop_table("zendesk_tickets")
