"""SQLModel tables: accounts, contacts, surveys, cases, insights, themes and digests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, TypeDecorator, UniqueConstraint, text
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel

from bot.domain.vocabulary import AutopilotStatus, NoticeKind, RequestStatus


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns them aware (SQLite forgets zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware UTC time")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _now_field() -> Any:
    return Field(default_factory=lambda: datetime.now(UTC), sa_type=UTCDateTime)


class Account(SQLModel, table=True):
    __tablename__ = "accounts"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    name_key: str = Field(max_length=200, unique=True)  # normalised name for matching
    crm_id: str | None = Field(default=None, max_length=100, index=True)
    segment: str | None = Field(default=None, max_length=20)
    industry: str | None = Field(default=None, max_length=100)
    plan: str | None = Field(default=None, max_length=100)
    arr: float | None = None
    customer_since: date | None = None
    health: str | None = Field(default=None, max_length=10)
    csm_user_id: str | None = Field(default=None, max_length=32)
    slack_channel: str | None = Field(default=None, max_length=32)  # the Slack Connect channel
    domain: str | None = Field(default=None, max_length=255)
    renewal_date: date | None = None
    # Where the account came from: "hubspot" / "salesforce" once a CRM sync wrote it (its
    # CRM-owned fields are then the CRM's: a CSV import changing one is told so), else None.
    crm_source: str | None = Field(default=None, max_length=20)
    crm_synced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = _now_field()
    updated_at: datetime = _now_field()


class Contact(SQLModel, table=True):
    __tablename__ = "contacts"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True)  # stored lower-case
    name: str | None = Field(default=None, max_length=200)
    account_id: int = Field(foreign_key="accounts.id", index=True)
    slack_user_id: str | None = Field(default=None, max_length=32, index=True)
    tz: str | None = Field(default=None, max_length=64)
    locale: str | None = Field(default=None, max_length=16)
    slack_team_id: str | None = Field(default=None, max_length=32)  # another team: external
    slack_checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    opted_out: bool = False
    opted_out_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    crm_id: str | None = Field(default=None, max_length=100, index=True)
    crm_source: str | None = Field(default=None, max_length=20)  # as on Account
    crm_synced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # False once the CRM archived or deleted the record: never surveyed again, answers kept.
    active: bool = True
    inactive_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = _now_field()
    updated_at: datetime = _now_field()


class Invitation(SQLModel, table=True):
    """One survey sent to one contact; scheduled work lives in `due_at` / `lease_until`."""

    __tablename__ = "invitations"
    __table_args__ = (
        Index("ix_invitations_status_due", "status", "due_at"),
        Index("ix_invitations_contact_created", "contact_id", "created_at"),
        Index("ix_invitations_sent", "sent_at", "answered_at"),  # the digest's response rate
        Index("ix_invitations_closed", "closed_at", "status"),  # the digest's unreachable share
        UniqueConstraint("import_key", name="uq_invitations_import_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contacts.id")
    kind: str = Field(max_length=8)
    trigger: str = Field(max_length=20)
    status: str = Field(max_length=12)
    skip_reason: str | None = Field(default=None, max_length=40)
    error: str | None = Field(default=None, max_length=200)
    attempts: int = 0
    due_at: datetime = Field(sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sending_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    dm_channel: str | None = Field(default=None, max_length=32)  # or the shared channel
    message_ts: str | None = Field(default=None, max_length=32)
    channel: str | None = Field(default=None, max_length=16)  # a DeliveryChannel once known
    context: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    created_at: datetime = _now_field()
    # an answer imported from another tool: a re-import finds it (bot/services/history.py)
    import_key: str | None = Field(default=None, max_length=64)
    campaign_id: int | None = Field(default=None, foreign_key="campaigns.id", index=True)
    # the question asked, when not the catalog's own wording (bot/services/wording.py)
    question: str | None = Field(default=None, max_length=3000)
    # a follow-up question: asked in the same message once this invitation is answered
    follows_invitation_id: int | None = Field(default=None, index=True)
    # the delivering pass that holds the lease: an email is handed to SMTP only by its owner
    lease_owner: str | None = Field(default=None, max_length=32)


LABELLED = "agent IS NOT NULL OR issue_type IS NOT NULL"  # a response from a ticket


class Response(SQLModel, table=True):
    """The answer to one invitation; the unique key makes a second answer impossible."""

    __tablename__ = "responses"
    __table_args__ = (
        UniqueConstraint("invitation_id", name="uq_responses_invitation"),
        Index("ix_responses_account_answered", "account_id", "answered_at"),
        # covers the digest's aggregates: a range of answered_at read from the index alone;
        # it serves every other range of answered_at too (migration 0030)
        Index("ix_responses_digest", "answered_at", "kind", "category", "score", "account_id"),
        # the digest's CSAT by agent and issue type, read from the index alone (storage/csat.py)
        Index(
            "ix_responses_context",
            "answered_at",
            "kind",
            "agent",
            "issue_type",
            "score",
            postgresql_where=text(LABELLED),
            sqlite_where=text(LABELLED),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int = Field(foreign_key="invitations.id")
    contact_id: int = Field(foreign_key="contacts.id", index=True)
    account_id: int = Field(foreign_key="accounts.id")
    kind: str = Field(max_length=8)
    score: int
    category: str = Field(max_length=16)
    comment: str | None = None
    commented_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    answered_at: datetime = Field(sa_type=UTCDateTime)
    chosen_theme: str | None = Field(default=None, max_length=40)  # "what disappointed you most"
    # the ticket's `context.agent` / `context.issue_type` (storage/csat.py), copied when recorded
    agent: str | None = None
    issue_type: str | None = None


# a health case is open while this holds: one an account (the partial unique index)
_OPEN_HEALTH_CASE = text("kind = 'health' AND closed_at IS NULL")


class FollowUpCase(SQLModel, table=True):
    """A follow-up owed to an unhappy answer, or to an account whose health slid (kind
    "health": no answer, contact or invitation; the score, its change and why instead);
    escalations are due times on the row."""

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("response_id", name="uq_cases_response"),
        Index("ix_cases_escalation_due", "logged_at", "next_escalation_at"),
        Index("ix_cases_card_pending", "message_ts", "card_lease_until"),
        Index("ix_cases_opened", "opened_at", "account_id", "follow_up_seconds"),  # the digest
        Index(
            "uq_cases_open_health",
            "account_id",
            unique=True,
            sqlite_where=_OPEN_HEALTH_CASE,
            postgresql_where=_OPEN_HEALTH_CASE,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    response_id: int | None = Field(default=None, foreign_key="responses.id")
    invitation_id: int | None = Field(default=None, foreign_key="invitations.id")
    contact_id: int | None = Field(default=None, foreign_key="contacts.id")
    account_id: int = Field(foreign_key="accounts.id", index=True)
    kind: str = Field(max_length=8)  # nps / csat / ces, or "health"
    score: int  # the answer's score, or the health score that opened the case
    review: str = Field(max_length=10)
    health_change: int | None = None  # a health case: the score's change in the week
    why: str | None = None  # a health case: the explanation in words
    # the answer's time (a health case: when it opened): the 48h clock starts
    opened_at: datetime = Field(sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=32)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: str | None = Field(default=None, max_length=20)
    note: str | None = None
    logged_by: str | None = Field(default=None, max_length=32)
    logged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    first_logged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    follow_up_seconds: int | None = None  # first log minus opened_at, for the 48h rate
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalations: int = 0
    next_escalation_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    channel: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    card_lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Advocacy(SQLModel, table=True):
    """A promoter's yes to a review, a reference or a testimonial."""

    __tablename__ = "advocacy"
    __table_args__ = (UniqueConstraint("response_id", "offer", name="uq_advocacy_offer"),)

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="responses.id")
    contact_id: int = Field(foreign_key="contacts.id", index=True)
    offer: str = Field(max_length=20)
    accepted_at: datetime = Field(sa_type=UTCDateTime)
    csm_notified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class IngestedEvent(SQLModel, table=True):
    """An event another system sent to POST /hooks/events; its id makes a resend harmless."""

    __tablename__ = "ingested_events"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=200, unique=True)
    event: str = Field(max_length=40)
    email: str = Field(max_length=320)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    received_at: datetime = Field(sa_type=UTCDateTime)
    result: dict[str, Any] | None = Field(default=None, sa_type=JSON)  # the answer given


class OutboxEvent(SQLModel, table=True):
    """An outgoing webhook, written in the same transaction as what it reports."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "delivered_at", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=64, unique=True)  # receivers de-duplicate on it
    type: str = Field(max_length=40)
    payload: dict[str, Any] = Field(sa_type=JSON)
    created_at: datetime = Field(sa_type=UTCDateTime)
    due_at: datetime = Field(sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=300)
    dead_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # given up on
    # Who delivers it: "webhook" (WEBHOOK_URL) or "crm" (bot/services/crm_push.py).
    sink: str = Field(default="webhook", max_length=10)
    # Set when a delivery first starts: an event claimed again with it set may already have
    # reached its receiver (a crash between the call and `delivered_at`), so the CRM push
    # looks the write up before making it again.
    tried_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CrmSync(SQLModel, table=True):
    """One row per CRM: the incremental cursors, the lease that keeps two syncs apart, and
    how the last run ended (`crm status`)."""

    __tablename__ = "crm_syncs"

    id: int | None = Field(default=None, primary_key=True)
    crm: str = Field(max_length=20, unique=True)
    companies_cursor: datetime | None = Field(default=None, sa_type=UTCDateTime)
    contacts_cursor: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    summary: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    error: str | None = Field(default=None, max_length=300)


class CrmNote(SQLModel, table=True):
    """A note (HubSpot) or Task (Salesforce) VoC bot put on a CRM timeline, so a case's
    outcome can be added to it and `forget` can delete it."""

    __tablename__ = "crm_notes"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)  # the note's idempotency key
    crm: str = Field(max_length=20)
    crm_note_id: str = Field(max_length=100)
    contact_id: int | None = Field(default=None, foreign_key="contacts.id", index=True)
    case_id: int | None = Field(default=None, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)


class FeatureRequest(SQLModel, table=True):
    """A named request that insights link to; ranked by the ARR of the accounts that asked."""

    __tablename__ = "feature_requests"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    name_key: str = Field(max_length=200, unique=True)  # normalised name for matching
    status: str = Field(default=RequestStatus.NEW, max_length=20)  # a RequestStatus
    created_at: datetime = _now_field()
    created_by: str | None = Field(default=None, max_length=32)
    shipped_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    shipped_by: str | None = Field(default=None, max_length=32)
    planned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    planned_by: str | None = Field(default=None, max_length=32)
    ship_url: str | None = Field(default=None, max_length=500)  # "here's how to use it"
    # triage (bot/services/triage.py): the last state change, and the monthly roll-up opt-in
    state_note: str | None = Field(default=None, max_length=500)
    state_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    state_by: str | None = Field(default=None, max_length=32)
    tell_customers: bool = False  # "you said, we did" reaches the customers who asked

    # Jira (bot/services/jira_push.py, jira_status.py): the issue it was pushed as, once
    jira_key: str | None = Field(default=None, max_length=32, index=True)
    jira_queued_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # push enqueued
    jira_category: str | None = Field(default=None, max_length=20)  # last statusCategory seen


class Insight(SQLModel, table=True):
    """Feedback logged with /voc, or taken from a survey comment (then `response_id` is set)."""

    __tablename__ = "insights"
    __table_args__ = (
        UniqueConstraint("response_id", name="uq_insights_response"),
        Index("ix_insights_account_created", "account_id", "created_at"),
        Index("ix_insights_created", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="accounts.id")
    contact_id: int | None = Field(default=None, foreign_key="contacts.id")
    response_id: int | None = Field(default=None, foreign_key="responses.id")
    source: str = Field(max_length=20)
    type: str = Field(max_length=20)
    text: str
    sentiment: str | None = Field(default=None, max_length=10)
    feature_request_id: int | None = Field(
        default=None, foreign_key="feature_requests.id", index=True
    )
    competitor: str | None = Field(default=None, max_length=200)
    logged_by: str | None = Field(default=None, max_length=32)  # Slack user id
    created_at: datetime = _now_field()
    shared_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # INSIGHTS_CHANNEL


class ThemeTag(SQLModel, table=True):
    """One theme on one insight: `set_by` None for keyword rules, a user id when changed.

    `SET_BY_RESPONDENT` marks the theme a detractor chose in the survey (bot/services/followups.py).
    """

    __tablename__ = "theme_tags"
    __table_args__ = (
        UniqueConstraint("insight_id", "theme", name="uq_theme_tags_insight_theme"),
        Index("ix_theme_tags_theme", "theme"),
    )

    id: int | None = Field(default=None, primary_key=True)
    insight_id: int = Field(foreign_key="insights.id")
    theme: str = Field(max_length=40)
    set_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = _now_field()


class ShipNotice(SQLModel, table=True):
    """A DM owed to one person about one request; (request, person, kind) makes it once.

    `kind` is a `NoticeKind`; an "asked" notice is due at `due_at` and keeps the answer.
    """

    __tablename__ = "ship_notices"
    __table_args__ = (
        UniqueConstraint("feature_request_id", "user_id", "kind", name="uq_ship_notices_kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    feature_request_id: int = Field(foreign_key="feature_requests.id")
    user_id: str = Field(max_length=32)  # Slack user id of the contact or CSM
    contact_id: int | None = Field(default=None, foreign_key="contacts.id")
    created_at: datetime = _now_field()
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, max_length=200)
    kind: str = Field(default=NoticeKind.SHIPPED, max_length=10)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    answer: str | None = Field(default=None, max_length=10)  # a SolvedAnswer
    answer_comment: str | None = None
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DigestRun(SQLModel, table=True):
    """One weekly digest; the unique period makes it once per period across processes."""

    __tablename__ = "digest_runs"

    id: int | None = Field(default=None, primary_key=True)
    period: str = Field(max_length=20, unique=True)  # e.g. "2026-W48" in DIGEST_TZ
    due_at: datetime = Field(sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    channel: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    posted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0
    error: str | None = Field(default=None, max_length=200)


class Autopilot(SQLModel, table=True):
    """A relationship survey that repeats by itself every `every_days` (bot/services/autopilot.py).

    `anchor` is the first day of period 0; `next_plan_at` is when a scheduler pass next
    looks for contacts whose slot is near (claimed with storage/claims.py).
    """

    __tablename__ = "autopilots"
    __table_args__ = (Index("ix_autopilots_plan", "status", "next_plan_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=8)
    segment: str | None = Field(default=None, max_length=20)
    every_days: int
    anchor: date
    status: str = Field(default=AutopilotStatus.ACTIVE, max_length=10)
    next_plan_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = _now_field()
    updated_at: datetime = _now_field()
    # issue 29: a sample of each period ("30%", "200"), and the quarterly rhythm's week
    sample: str | None = Field(default=None, max_length=12)
    quarter_week: int | None = None


class AutopilotAsk(SQLModel, table=True):
    """One contact's turn in one period of an autopilot; the key makes it once per period."""

    __tablename__ = "autopilot_asks"
    __table_args__ = (
        UniqueConstraint("autopilot_id", "contact_id", "period", name="uq_autopilot_asks_period"),
        Index("ix_autopilot_asks_period", "autopilot_id", "period"),
    )

    id: int | None = Field(default=None, primary_key=True)
    autopilot_id: int = Field(foreign_key="autopilots.id")
    contact_id: int = Field(foreign_key="contacts.id")
    period: int
    invitation_id: int | None = Field(default=None, foreign_key="invitations.id", index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)


class SurveyLink(SQLModel, table=True):
    """One emailed link to a survey page: only the SHA-256 of its random token is kept.

    A survey email's link row is written just before the message's data goes to the SMTP
    server, and `accepted_at` once the server accepted it; in between, `unanswered` counts
    the hand-overs whose answer never came, and `pending_token` keeps the token so a retry
    sends the same link and Message-ID (bot/services/email_survey.py).
    """

    __tablename__ = "survey_links"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    invitation_id: int = Field(foreign_key="invitations.id", index=True)
    purpose: str = Field(max_length=10)  # "survey" or "reminder"
    created_at: datetime = Field(sa_type=UTCDateTime)
    message_id: str | None = Field(default=None, max_length=255)
    pending_token: str | None = Field(default=None, max_length=64)  # erased once answered
    unanswered: int = 0
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ErasedLink(SQLModel, table=True):
    """A survey link deleted by `forget`: only its token's hash, nothing that leads anywhere,
    so the page answers 410 Gone for it rather than 404 (bot/services/survey_page.py)."""

    __tablename__ = "erased_links"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    erased_at: datetime = Field(sa_type=UTCDateTime)


class CaseLog(SQLModel, table=True):
    """Every follow-up logged on a case, kept: who, when, what came of it and the note."""

    __tablename__ = "case_logs"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    user_id: str = Field(max_length=32)
    outcome: str = Field(max_length=20)
    note: str
    logged_at: datetime = Field(sa_type=UTCDateTime)


class CommandSeen(SQLModel, table=True):
    """A signed `/voc` request already handled; its key refuses an identical replay."""

    __tablename__ = "commands_seen"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)  # sha256 of the timestamp and signature
    seen_at: datetime = Field(sa_type=UTCDateTime, index=True)


class AuditEntry(SQLModel, table=True):
    """An admin action (send, autopilot, ship, forget, export contact): who and when."""

    __tablename__ = "audit"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=64)  # a Slack user id, or "cli"
    action: str = Field(max_length=40)
    detail: str | None = Field(default=None, max_length=300)  # never personal data


class QuestionWording(SQLModel, table=True):
    """An admin's own question text for a survey kind and language (bot/services/wording.py)."""

    __tablename__ = "question_wordings"
    __table_args__ = (UniqueConstraint("kind", "language", name="uq_question_wordings"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=8)
    language: str = Field(max_length=8)
    template: str = Field(max_length=3000)
    updated_by: str | None = Field(default=None, max_length=64)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Campaign(SQLModel, table=True):
    """One `send`: the invitations it created carry its id (bot/services/campaigns.py)."""

    __tablename__ = "campaigns"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=8)
    audience: str = Field(max_length=200)  # "everyone", "segment smb", "account Acme", …
    created_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)


class MilestoneAsk(SQLModel, table=True):
    """A survey a milestone owes one contact, due at `due_at` (bot/services/milestones.py).

    `key` (bot/domain/milestones.py) is unique per contact, so each day of a milestone, a
    renewal's CES and a churn's exit survey are asked once across processes and restarts;
    a scheduler pass claims due rows (`lease_until`) and links the invitation it made.
    """

    __tablename__ = "milestone_asks"
    __table_args__ = (
        UniqueConstraint("contact_id", "key", name="uq_milestone_asks_key"),
        Index("ix_milestone_asks_due", "invitation_id", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contacts.id")
    milestone: str = Field(max_length=20)
    day: int
    anchor: date
    key: str = Field(max_length=40)
    kind: str = Field(max_length=8)
    due_at: datetime = Field(sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    invitation_id: int | None = Field(default=None, foreign_key="invitations.id")
    created_at: datetime = Field(sa_type=UTCDateTime)


class ExitAnswer(SQLModel, table=True):
    """A churning customer's answer to the exit survey: the reasons chosen and the comment."""

    __tablename__ = "exit_answers"

    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int = Field(foreign_key="invitations.id", unique=True)
    contact_id: int = Field(foreign_key="contacts.id", index=True)
    account_id: int = Field(foreign_key="accounts.id")
    reasons: list[str] = Field(default_factory=list, sa_type=JSON)
    comment: str | None = None
    insight_id: int | None = Field(default=None, foreign_key="insights.id")
    answered_at: datetime = Field(sa_type=UTCDateTime)
    # the CSM's copy (bot/services/exit_survey.py): posted at, leased while posting, refused
    csm_notified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    csm_lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    csm_error: str | None = Field(default=None, max_length=200)


class SendPace(SQLModel, table=True):
    """The next moment (Unix seconds) a paced Slack call may go out, shared by processes."""

    __tablename__ = "send_pace"

    name: str = Field(primary_key=True, max_length=64)
    next_at: float


# --- triage: theme states, owner routing, the monthly "you said, we did" -----------------


class ThemeState(SQLModel, table=True):
    """Where a theme stands (`/voc theme THEME STATE`); `shipped` is a theme fixed."""

    __tablename__ = "theme_states"

    theme: str = Field(primary_key=True, max_length=40)
    state: str = Field(max_length=20)  # a RequestStatus
    note: str | None = Field(default=None, max_length=500)
    changed_at: datetime = Field(sa_type=UTCDateTime)
    changed_by: str | None = Field(default=None, max_length=32)
    fixed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # first marked shipped


class OwnerRoute(SQLModel, table=True):
    """One insight routed to its themes' owners (THEME_OWNERS), once."""

    __tablename__ = "owner_routes"

    insight_id: int = Field(primary_key=True, foreign_key="insights.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    routed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, max_length=200)


class RollupRun(SQLModel, table=True):
    """One month's "you said, we did" post; the month key makes it once across processes."""

    __tablename__ = "rollup_runs"

    month: str = Field(primary_key=True, max_length=7)  # "2026-11"
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    channel: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    posted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, max_length=200)


class ReportRun(SQLModel, table=True):
    """One leadership report's post ("monthly:2026-11", "quarterly:2026-Q4"); the key makes
    it once across processes (bot/services/leadership.py)."""

    __tablename__ = "report_runs"

    key: str = Field(primary_key=True, max_length=24)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    channel: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    posted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, max_length=200)


class ZendeskTicket(SQLModel, table=True):
    """A solved Zendesk ticket, seen once (webhook or export): what was decided for it, the
    CSAT invitation it asked, and the facts the digest's coaching section reads."""

    __tablename__ = "zendesk_tickets"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(unique=True)
    decision: str = Field(max_length=40)  # "asked", "sampled out", "no contact", a skip reason
    invitation_id: int | None = Field(default=None, foreign_key="invitations.id", index=True)
    solved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolution_minutes: int | None = None  # Zendesk's full resolution time, calendar minutes
    seen_at: datetime = Field(sa_type=UTCDateTime)


class ZendeskSync(SQLModel, table=True):
    """The incremental export's cursor (one row, `name` "zendesk") and the last poll."""

    __tablename__ = "zendesk_syncs"

    name: str = Field(primary_key=True, max_length=20)
    cursor: str | None = Field(default=None, max_length=500)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    summary: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class JiraPoll(SQLModel, table=True):
    """The Jira status poll of one project: its `updated >=` cursor and the lease that keeps
    two workers from polling at once."""

    __tablename__ = "jira_polls"

    id: int | None = Field(default=None, primary_key=True)
    project: str = Field(max_length=20, unique=True)
    cursor: datetime | None = Field(default=None, sa_type=UTCDateTime)
    polled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, max_length=300)


# --- Account health (bot/services/health.py) ---------------------------------------------


class UsageEvent(SQLModel, table=True):
    """One usage or support-volume figure for an account (`usage` event or `import usage`)."""

    __tablename__ = "usage_events"
    __table_args__ = (
        Index("ix_usage_events_account_at", "account_id", "at"),
        Index("ix_usage_events_at", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="accounts.id")
    metric: str = Field(max_length=60)
    value: float
    at: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = _now_field()


class AccountHealth(SQLModel, table=True):
    """An account's health score for one week (Monday, UTC): recomputed in place during the
    week, kept afterwards as its history."""

    __tablename__ = "account_health"
    __table_args__ = (
        UniqueConstraint("account_id", "week", name="uq_account_health_week"),
        Index("ix_account_health_week", "week", "score"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="accounts.id")
    week: date
    score: int
    change: int | None = None  # against last week's score; None without one
    components: dict[str, Any] | None = Field(default=None, sa_type=JSON)  # name → [points, shown]
    why: str | None = None
    computed_at: datetime = Field(sa_type=UTCDateTime)


# --- question sets: the follow-ups a team designs per moment, versioned ------------------


class QuestionSetVersion(SQLModel, table=True):
    """One version of a question set (bot/domain/question_sets.py); never changed once
    written: a change is a new version, so past answers keep the one they were asked in."""

    __tablename__ = "question_sets"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_question_sets_version"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=40, index=True)
    version: int
    trigger: str = Field(max_length=40)
    metric: str = Field(max_length=8)
    definition: dict[str, Any] = Field(sa_type=JSON)  # as check_set reads it
    source: str = Field(max_length=10)  # "file" (SURVEYS_FILE) or "slack" (/voc survey)
    active: bool = True  # False: switched off (a later version of nothing)
    created_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(sa_type=UTCDateTime)


class FollowUpAnswer(SQLModel, table=True):
    """A respondent's answer to one follow-up question, with the set version it was asked in."""

    __tablename__ = "followup_answers"
    __table_args__ = (
        UniqueConstraint("invitation_id", "question_key", name="uq_followup_answers_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int = Field(foreign_key="invitations.id", index=True)
    question_set_id: int = Field(foreign_key="question_sets.id")
    question_key: str = Field(max_length=40)
    value: str = Field(max_length=500)
    themes: list[str] = Field(default_factory=list, sa_type=JSON)  # a text answer's themes
    answered_at: datetime = Field(sa_type=UTCDateTime)


class ReachUser(SQLModel, table=True):
    """Someone a Slack listing showed (bot/services/reach.py): `users.list` or a channel's."""

    __tablename__ = "reach_users"

    user_id: str = Field(primary_key=True, max_length=32)
    email: str | None = Field(default=None, max_length=320, index=True)  # lower case
    team_id: str | None = Field(default=None, max_length=32)
    tz: str | None = Field(default=None, max_length=64)
    locale: str | None = Field(default=None, max_length=16)
    source: str = Field(max_length=40)  # "users.list" or the channel id that showed them
    seen_at: datetime = Field(sa_type=UTCDateTime)


class ReachListing(SQLModel, table=True):
    """One bulk listing of Slack users: where it got to and whether it completed."""

    __tablename__ = "reach_listings"

    source: str = Field(primary_key=True, max_length=40)  # "users.list"
    started_at: datetime = Field(sa_type=UTCDateTime)
    cursor: str | None = Field(default=None, max_length=255)  # the next page, while listing
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, max_length=64)  # why it stopped, if it did
    holder: str | None = Field(default=None, max_length=32)  # the process reading it now
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)  # its claim's end
