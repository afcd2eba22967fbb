"""Follow-up questions in one message: the question an invitation follows, a chosen theme

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 09:00:00

`invitations.follows_invitation_id` links a follow-up question (status `waiting`) to the
question it is asked after, in the same message; `responses.chosen_theme` keeps what a
detractor chose as "what disappointed you most".
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("follows_invitation_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_invitations_follows_invitation_id"),
            ["follows_invitation_id"],
            unique=False,
        )
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("chosen_theme", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_column("chosen_theme")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitations_follows_invitation_id"))
        batch_op.drop_column("follows_invitation_id")
