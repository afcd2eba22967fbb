"""Webhook dead letters: an event given up on after WEBHOOK_GIVE_UP

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 07:25:00

`outbox.dead_at` is when delivery stopped; such an event is no longer due until
`python -m bot webhooks retry ID` clears it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dead_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("dead_at")
