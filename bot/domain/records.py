"""Row-shaped values passed between storage and the services: one contact, case or answer.

Each is what a use case needs of a row, not the row itself, so the layers above storage
never hold a live table object.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.crm_results import CrmCleared
from bot.domain.scores import ScoreSplit


@dataclass(frozen=True)
class NewResponse:
    invitation_id: int
    contact_id: int
    account_id: int
    kind: str
    score: int
    category: str
    answered_at: datetime
    agent: str | None = None  # the ticket's labels (storage/csat.py `context_labels`)
    issue_type: str | None = None


@dataclass(frozen=True)
class Person:
    """What identifies one contact in text: their email, name and Slack id."""

    contact_id: int
    email: str
    name: str | None
    slack_user_id: str | None

    @property
    def needles(self) -> list[str]:
        return [n for n in (self.email, self.name, self.slack_user_id) if n and n.strip()]

    def pattern(self) -> re.Pattern[str]:
        words = "|".join(re.escape(n) for n in sorted(self.needles, key=len, reverse=True))
        return re.compile(rf"(?<!\w)(?:{words})(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class Answer:
    """An invitation to mark answered, with where its survey message is (kept when known)."""

    invitation_id: int
    answered_at: datetime
    dm_channel: str | None = None
    message_ts: str | None = None


@dataclass(frozen=True)
class ClaimedRun:
    id: int
    period: str
    due_at: datetime
    attempts: int  # including this one
    channel: str | None
    message_ts: str | None  # set when an earlier attempt posted the message


@dataclass(frozen=True)
class Member:
    """What planning needs of one contact an autopilot covers."""

    id: int
    tz: str | None
    opted_out: bool
    segment: str | None = None  # the account's, for a stratified sample


@dataclass(frozen=True)
class HomeCase:
    id: int
    account: str
    kind: str
    score: int
    opened_at: datetime
    claimed_by: str | None
    overdue: bool
    channel: str | None
    message_ts: str | None
    comment: str | None = None  # the survey comment, for its churn / expansion flags


@dataclass(frozen=True)
class CaseCounts:
    open: int
    overdue: int


@dataclass(frozen=True)
class CrmSynced:
    """When a CRM last synced an account: its card, App Home and `/voc account` say so."""

    crm: str  # as people read it: "HubSpot"
    at: datetime


@dataclass(frozen=True)
class AccountNps:
    account: str
    split: ScoreSplit
    synced: CrmSynced | None = None


@dataclass(frozen=True)
class AccountSummary:
    """What a message shows of an account: its name and the facts beside it."""

    id: int
    name: str
    segment: str | None = None
    plan: str | None = None
    arr: float | None = None
    health: str | None = None  # the imported label, shown as "CRM health"
    synced: CrmSynced | None = None
    # the account health score (bot/services/health.py): newest week, change, why
    health_score: int | None = None
    health_change: int | None = None
    health_why: str | None = None


@dataclass(frozen=True)
class DeadLetter:
    """A webhook given up on (`webhooks failed`)."""

    id: int
    type: str
    created_at: datetime
    attempts: int
    last_error: str | None


@dataclass(frozen=True)
class AuditLine:
    """One admin action of the audit log (`audit`): when, who, what, and a detail."""

    at: datetime
    actor: str
    action: str
    detail: str | None


@dataclass
class Forgotten:
    """What `forget` changed: rows per table, the #voc cards Slack redrew or refused."""

    changed: dict[str, int] = field(default_factory=dict)  # storage's label → rows
    cards_redrawn: int = 0
    cards_refused: int = 0
    again: str = ""  # the address to forget again so the refused cards are redrawn
    wal_kept: bool = False  # SQLite's write-ahead log could not be emptied (a reader)
    crm: CrmCleared | None = None  # what was cleared in the CRM (None: no CRM is set)
