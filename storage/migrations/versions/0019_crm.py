"""The CRM sync and push: where a record came from, cursors, notes, the outbox's sink

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 00:20:00

Accounts gain the domain and renewal date a CRM holds, and, like contacts, the CRM they were
synced from and when. A contact the CRM archived or deleted is `active = false`: never
surveyed again, its answers kept. `crm_syncs` holds each CRM's cursors and the lease that
keeps two syncs apart; `crm_notes` the timeline notes VoC bot wrote. Accounts and contacts
are looked up by CRM id (indexed). The outbox names who
delivers an event (`sink`: the webhook or the CRM) and when a delivery first started.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from storage.models import UTCDateTime

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    # Plain ADD COLUMNs (no table copy on SQLite, where other tables' keys point here)
    for column in (
        sa.Column("domain", _text(255), nullable=True),
        sa.Column("renewal_date", sa.Date(), nullable=True),
        sa.Column("crm_source", _text(20), nullable=True),
        sa.Column("crm_synced_at", UTCDateTime(), nullable=True),
    ):
        op.add_column("accounts", column)
    for column in (
        sa.Column("crm_id", _text(100), nullable=True),
        sa.Column("crm_source", _text(20), nullable=True),
        sa.Column("crm_synced_at", UTCDateTime(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("inactive_since", UTCDateTime(), nullable=True),
    ):
        op.add_column("contacts", column)
    op.create_index("ix_contacts_crm_id", "contacts", ["crm_id"])
    op.create_index("ix_accounts_crm_id", "accounts", ["crm_id"])  # a sync looks them up
    op.add_column("outbox", sa.Column("sink", _text(10), nullable=False, server_default="webhook"))
    op.add_column("outbox", sa.Column("tried_at", UTCDateTime(), nullable=True))
    op.create_table(
        "crm_syncs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("crm", _text(20), nullable=False),
        sa.Column("companies_cursor", UTCDateTime(), nullable=True),
        sa.Column("contacts_cursor", UTCDateTime(), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("error", _text(300), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("crm"),
    )
    op.create_table(
        "crm_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", _text(64), nullable=False),
        sa.Column("crm", _text(20), nullable=False),
        sa.Column("crm_note_id", _text(100), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_crm_notes_contact_id", "crm_notes", ["contact_id"])
    op.create_index("ix_crm_notes_case_id", "crm_notes", ["case_id"])


def downgrade() -> None:
    op.drop_table("crm_notes")
    op.drop_table("crm_syncs")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("tried_at")
        batch.drop_column("sink")
    op.drop_index("ix_accounts_crm_id", table_name="accounts")
    op.drop_index("ix_contacts_crm_id", table_name="contacts")
    with op.batch_alter_table("contacts") as batch:
        for name in ("inactive_since", "active", "crm_synced_at", "crm_source", "crm_id"):
            batch.drop_column(name)
    with op.batch_alter_table("accounts") as batch:
        for name in ("crm_synced_at", "crm_source", "renewal_date", "domain"):
            batch.drop_column(name)
