"""Request lifecycle (planned, shipped with a link, asked a week later) and shared insights

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 07:00:00

`feature_requests` records who planned a request and the link it shipped with;
`ship_notices` grows a `kind` (shipped / planned / asked), so one person gets each message
once per request, a due time for the week-later question, and that question's answer;
`insights.shared_at` marks an insight posted to INSIGHTS_CHANNEL.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from storage.models import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feature_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("planned_at", UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("planned_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
        batch_op.add_column(
            sa.Column("ship_url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True)
        )
    with op.batch_alter_table("insights", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shared_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("ship_notices", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sqlmodel.sql.sqltypes.AutoString(length=10),
                nullable=False,
                server_default="shipped",
            )
        )
        batch_op.add_column(sa.Column("due_at", UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("answer", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True)
        )
        batch_op.add_column(
            sa.Column("answer_comment", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch_op.add_column(sa.Column("answered_at", UTCDateTime(), nullable=True))
        batch_op.drop_constraint("uq_ship_notices_user", type_="unique")
        batch_op.create_unique_constraint(
            "uq_ship_notices_kind", ["feature_request_id", "user_id", "kind"]
        )


def downgrade() -> None:
    with op.batch_alter_table("ship_notices", schema=None) as batch_op:
        batch_op.drop_constraint("uq_ship_notices_kind", type_="unique")
        batch_op.create_unique_constraint("uq_ship_notices_user", ["feature_request_id", "user_id"])
        for column in ("answered_at", "answer_comment", "answer", "due_at", "kind"):
            batch_op.drop_column(column)
    with op.batch_alter_table("insights", schema=None) as batch_op:
        batch_op.drop_column("shared_at")
    with op.batch_alter_table("feature_requests", schema=None) as batch_op:
        for column in ("ship_url", "planned_by", "planned_at"):
            batch_op.drop_column(column)
