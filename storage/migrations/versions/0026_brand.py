"""Autopilots: a sample of each period, and the quarterly rhythm's week

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 04:15:00

`autopilots.sample` ("30%" or "200") asks a random share of each period's contacts,
stratified by segment; `autopilots.quarter_week` (1–10) makes the autopilot quarterly:
each contact is asked in that week of every calendar quarter.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("autopilots") as batch:
        batch.add_column(
            sa.Column("sample", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True)
        )
        batch.add_column(sa.Column("quarter_week", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("autopilots") as batch:
        batch.drop_column("quarter_week")
        batch.drop_column("sample")
