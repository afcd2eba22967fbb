"""Drop ix_responses_answered: ix_responses_digest begins with the same column

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 23:10:00

`ix_responses_digest` (answered_at, kind, category, score, account_id) serves every range
of `answered_at` the narrower index served, and reads the digest's figures from the index
alone. With both present, PostgreSQL took the narrower one for the digest's figures once
responses lay in time order (as a live database holds them) and read every row from the
table: 98 ms for the 90 days' figures of 1,000,000 responses instead of 66 ms. One index
less to write on each answer, too.
"""

from __future__ import annotations

from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_responses_answered", table_name="responses")


def downgrade() -> None:
    op.create_index("ix_responses_answered", "responses", ["answered_at"], unique=False)
