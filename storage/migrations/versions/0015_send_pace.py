"""A send pace shared by every process: the next free moment to post a survey DM

Revision ID: 0015
Revises: 0011
Create Date: 2026-11-30 09:40:00

`send_pace.next_at` (Unix seconds) is when the next paced Slack call may go out. Each
process reserves its moment with one UPDATE (storage/pace.py), so two `worker`s together
keep to Slack's cap instead of each pacing itself at the full rate.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "send_pace",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("send_pace")
