"""Email surveys marked sent only once SMTP accepted them; leases with an owner

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 21:00:00

`invitations.lease_owner` names the delivering pass holding a row, so a pass whose lease
was taken over sees it before handing an email to SMTP. A survey link now records the
attempt: its Message-ID, the token until the SMTP server's answer is recorded (so a
retry sends the same link), how many hand-overs never got an answer, and when the server
accepted it (bot/services/email_survey.py). Links written before this revision have no
token to resend: a `sending` invitation holding one is settled as `sent`, as before.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from storage.models import UTCDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invitations") as batch:
        batch.add_column(
            sa.Column("lease_owner", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
    with op.batch_alter_table("survey_links") as batch:
        batch.add_column(
            sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True)
        )
        batch.add_column(
            sa.Column("pending_token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch.add_column(sa.Column("unanswered", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("accepted_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("survey_links") as batch:
        for name in ("accepted_at", "unanswered", "pending_token", "message_id"):
            batch.drop_column(name)
    with op.batch_alter_table("invitations") as batch:
        batch.drop_column("lease_owner")
