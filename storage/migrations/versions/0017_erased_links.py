"""A forgotten person is opted out; their deleted survey links answer 410 Gone

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 21:00:00

`forget` erased a contact's email to `erased-<id>@erased.invalid` and set `opted_out_at`
but not `opted_out`, so after the fatigue window a `send` could survey the erased address.
It now sets `opted_out`; the contacts forgotten before are opted out here. `erased_links`
keeps the hash of each survey link `forget` deletes, and nothing else, so the page can say
410 Gone for it.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from storage.models import UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "erased_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("erased_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.execute(
        "UPDATE contacts SET opted_out = true"
        " WHERE email LIKE 'erased-%@erased.invalid' AND NOT opted_out"
    )


def downgrade() -> None:
    op.drop_table("erased_links")
