"""What a survey message and a #voc case card show: built by services, drawn by blocks/."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.records import CrmSynced
from bot.domain.vocabulary import HEALTH_CASE


@dataclass(frozen=True)
class SurveyCard:
    """What a survey message shows: the invitation and, once answered, the answer."""

    invitation_id: int
    kind: str
    trigger: str
    locale: str | None = None
    score: int | None = None
    comment: str | None = None
    question: str | None = None  # the filled-in, escaped wording; None: the catalog's
    theme: str | None = None  # what a detractor chose as disappointing them most


@dataclass(frozen=True)
class SharedSurveyCard:
    """A survey asked in an account's shared channel: who was asked and how many answered.

    It never holds a score: the channel sees only the count.
    """

    invitation_ids: tuple[int, ...]
    people: tuple[str, ...]  # Slack user ids, in the order of `invitation_ids`
    kind: str
    trigger: str
    locale: str | None = None
    answered: int = 0
    closed: bool = False
    question: str | None = None  # the filled-in, escaped wording; None: the catalog's


@dataclass(frozen=True)
class CaseCard:
    """What a #voc card shows: the answer, the account, and the follow-up so far."""

    case_id: int
    kind: str
    score: int
    previous_score: int | None
    review: str  # "csm" (NPS detractor) or "support" (low CSAT / CES: support-manager review)
    contact_name: str | None
    contact_email: str  # "" on a health case (no answer, no contact)
    account_name: str
    segment: str | None
    arr: float | None
    plan: str | None
    customer_since: date | None
    health: str | None
    csm_user_id: str | None
    comment: str | None
    answered_at: datetime  # a health case: when it opened
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    outcome: str | None = None
    note: str | None = None
    logged_by: str | None = None
    logged_at: datetime | None = None
    escalations: int = 0
    follow_ups: int = 0  # follow-ups logged so far (each kept in case_logs)
    erased: bool = False  # the person was forgotten: the card says their details were erased
    synced: CrmSynced | None = None  # the account comes from a CRM: when it was last synced
    health_score: int | None = None  # the account health score (bot/services/health.py)
    health_change: int | None = None  # its change since last week
    why: str | None = None  # a health case: the explanation of the score, in words
    score_change: int | None = None  # a health case: the week's change that opened it

    @property
    def is_health(self) -> bool:
        """Opened by the account's health sliding, not by an answer."""
        return self.kind == HEALTH_CASE
