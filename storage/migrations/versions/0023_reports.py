"""Leadership reports: one row a posted monthly or quarterly report

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 04:30:00

`report_runs` is keyed by the period ("monthly:2026-11", "quarterly:2026-Q4"): the
scheduler claims it with a lease, so each report is posted once across processes.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from storage.models import UTCDateTime

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "report_runs",
        sa.Column("key", _text(24), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("channel", _text(32), nullable=True),
        sa.Column("message_ts", _text(32), nullable=True),
        sa.Column("posted_at", UTCDateTime(), nullable=True),
        sa.Column("error", _text(200), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("report_runs")
