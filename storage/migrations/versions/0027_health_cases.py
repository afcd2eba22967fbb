"""Health cases join the follow-up loop: a case of kind "health" in `cases`

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 11:30:00

A health drop opened a row in `health_cases`, a loop of its own (own card, own reminders),
so App Home, the digest's counts and the 48h rate missed it. Now it is a row of `cases`
with kind "health": `response_id`, `invitation_id` and `contact_id` become nullable, the
score's change and its explanation get columns, and a partial unique index keeps one open
health case an account. Open and closed `health_cases` rows move over (a closed one as
logged "recovered" when it was closed, with a note saying so), and the table goes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from storage.models import UTCDateTime

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

OPEN_HEALTH = sa.text("kind = 'health' AND closed_at IS NULL")
MOVED_NOTE = "Closed with Done before health cases joined the follow-up loop."
_LINKS = ("response_id", "invitation_id", "contact_id")


def _text(length: int | None = None) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


_TIMES = frozenset(
    {"opened_at", "claimed_at", "logged_at", "first_logged_at", "closed_at", "next_escalation_at"}
)


def _table(name: str, *columns: str) -> sa.TableClause:
    """A lightweight table; its times typed, so they are read and written as UTC."""
    return sa.table(name, *(sa.column(c, UTCDateTime() if c in _TIMES else None) for c in columns))


_CASE_COLUMNS = (
    "account_id", "kind", "score", "review", "health_change", "why", "opened_at",
    "claimed_by", "claimed_at", "outcome", "note", "logged_by", "logged_at",
    "first_logged_at", "follow_up_seconds", "closed_at", "escalations",
    "next_escalation_at", "channel", "message_ts",
)  # fmt: skip
_HEALTH_COLUMNS = (
    "id", "account_id", "open_account_id", "score", "change", "why", "owner", "opened_at",
    "claimed_by", "claimed_at", "escalations", "next_escalation_at", "channel",
    "message_ts", "closed_at",
)  # fmt: skip


def _as_case(row: Any) -> dict[str, Any]:
    closed: datetime | None = row.closed_at
    return {
        "account_id": row.account_id,
        "kind": "health",
        "score": row.score,
        "review": "csm",
        "health_change": row.change,
        "why": row.why,
        "opened_at": row.opened_at,
        "claimed_by": row.claimed_by,
        "claimed_at": row.claimed_at,
        "outcome": "recovered" if closed else None,
        "note": MOVED_NOTE if closed else None,
        "logged_by": row.claimed_by if closed else None,
        "logged_at": closed,
        "first_logged_at": closed,
        "follow_up_seconds": int((closed - row.opened_at).total_seconds()) if closed else None,
        "closed_at": closed,
        "escalations": row.escalations,
        "next_escalation_at": None if closed else row.next_escalation_at,
        "channel": row.channel,
        "message_ts": row.message_ts,
    }


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        for column in _LINKS:
            batch.alter_column(column, existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("health_change", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("why", _text(), nullable=True))
    op.create_index(
        "uq_cases_open_health",
        "cases",
        ["account_id"],
        unique=True,
        sqlite_where=OPEN_HEALTH,
        postgresql_where=OPEN_HEALTH,
    )
    bind = op.get_bind()
    old = _table("health_cases", *_HEALTH_COLUMNS)
    rows = [_as_case(row) for row in bind.execute(sa.select(old).order_by(old.c.id))]
    if rows:
        bind.execute(sa.insert(_table("cases", *_CASE_COLUMNS)), rows)
    op.drop_index("ix_health_cases_account_id", table_name="health_cases")
    op.drop_table("health_cases")


def downgrade() -> None:
    op.create_table(
        "health_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("open_account_id", sa.Integer(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("change", sa.Integer(), nullable=True),
        sa.Column("why", _text(), nullable=True),
        sa.Column("owner", _text(32), nullable=True),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_by", _text(32), nullable=True),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("escalations", sa.Integer(), nullable=False),
        sa.Column("next_escalation_at", UTCDateTime(), nullable=True),
        sa.Column("channel", _text(32), nullable=True),
        sa.Column("message_ts", _text(32), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("open_account_id"),
    )
    op.create_index("ix_health_cases_account_id", "health_cases", ["account_id"])
    bind = op.get_bind()
    cases = _table("cases", "id", *_CASE_COLUMNS)
    accounts = _table("accounts", "id", "csm_user_id")
    found = bind.execute(
        sa.select(cases, accounts.c.csm_user_id)
        .outerjoin(accounts, accounts.c.id == cases.c.account_id)
        .where(cases.c.kind == "health")
        .order_by(cases.c.id)
    ).all()
    back = [
        {
            "account_id": row.account_id,
            "open_account_id": None if row.closed_at else row.account_id,
            "score": row.score,
            "change": row.health_change,
            "why": row.why,
            "owner": row.csm_user_id,
            "opened_at": row.opened_at,
            "claimed_by": row.claimed_by,
            "claimed_at": row.claimed_at,
            "escalations": row.escalations,
            "next_escalation_at": row.next_escalation_at,
            "channel": row.channel,
            "message_ts": row.message_ts,
            "closed_at": row.closed_at,
        }
        for row in found
    ]
    if back:
        bind.execute(sa.insert(_table("health_cases", *_HEALTH_COLUMNS[1:])), back)
        ids = [row.id for row in found]
        bind.execute(sa.delete(_table("case_logs", "case_id")).where(sa.column("case_id").in_(ids)))
        bind.execute(sa.delete(cases).where(cases.c.id.in_(ids)))
    op.drop_index("uq_cases_open_health", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("why")
        batch.drop_column("health_change")
        for column in _LINKS:
            batch.alter_column(column, existing_type=sa.Integer(), nullable=False)
