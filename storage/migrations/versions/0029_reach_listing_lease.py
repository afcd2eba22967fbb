"""Reach listing lease: one process at a time reads a Slack listing

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 19:00:00

`reach_listings.holder` names the process reading the listing now and `lease_until` when
its claim runs out: of several workers resolving one campaign, one reads `users.list`
(Tier 2, a page every three seconds once paced) and the others wait for its pages instead
of reading the same pages again. Each page renews the lease; a worker that died leaves one
that runs out, and the next takes the listing on from its cursor.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from storage.models import UTCDateTime

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reach_listings") as batch:
        batch.add_column(
            sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
        batch.add_column(sa.Column("lease_until", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reach_listings") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("holder")
