"""covering indexes for the weekly digest's aggregates

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 11:45:00

The digest reads the last 180 days of responses, the invitations sent in a window and the
cases opened in one. With these indexes each of those is a range scan that never touches the
table (bench/digest.py: 1,000,000 responses).
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_responses_digest",
        "responses",
        ["answered_at", "kind", "category", "score", "account_id"],
        unique=False,
    )
    op.create_index("ix_invitations_sent", "invitations", ["sent_at", "answered_at"], unique=False)
    op.create_index(
        "ix_cases_opened", "cases", ["opened_at", "account_id", "follow_up_seconds"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_cases_opened", table_name="cases")
    op.drop_index("ix_invitations_sent", table_name="invitations")
    op.drop_index("ix_responses_digest", table_name="responses")
