"""Each response keeps its ticket's agent and issue type, for the digest's CSAT by context

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 12:10:00

The digest reads CSAT per `context.agent` and per `context.issue_type` (storage/csat.py).
Read through the invitation's JSON, that joined every CSAT answer of the quarter to its
invitation and made PostgreSQL parse the context of every invitation. The two labels are
now copied onto the response when it is recorded, as its kind and account already are,
and filled in here for the answers recorded before; a partial index over the labelled
answers lets the digest read them from the index alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

KEYS = ("agent", "issue_type")


def upgrade() -> None:
    with op.batch_alter_table("responses") as batch:
        for key in KEYS:
            batch.add_column(sa.Column(key, sa.String(), nullable=True))
    labelled = sa.text("agent IS NOT NULL OR issue_type IS NOT NULL")
    op.create_index(
        "ix_responses_context",
        "responses",
        ["answered_at", "kind", "agent", "issue_type", "score"],
        postgresql_where=labelled,
        sqlite_where=labelled,
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    for key in KEYS:
        # JSON strings as they are; numbers and booleans as their JSON text ("42", "true")
        label = (
            f"invitations.context ->> '{key}'"
            if postgres
            else f"CASE json_type(invitations.context, '$.{key}')"
            f" WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'"
            f" ELSE json_extract(invitations.context, '$.{key}') END"
        )
        op.execute(
            f"UPDATE responses SET {key} = (SELECT {label} FROM invitations"
            " WHERE invitations.id = responses.invitation_id)"
            " WHERE responses.invitation_id IN (SELECT id FROM invitations"
            " WHERE invitations.context IS NOT NULL)"
        )


def downgrade() -> None:
    op.drop_index("ix_responses_context", table_name="responses")
    with op.batch_alter_table("responses") as batch:
        for key in reversed(KEYS):
            batch.drop_column(key)
