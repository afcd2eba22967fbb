"""What services report back to a person: results that blocks/ turns into messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.figures import ThemeCount
from bot.domain.records import AccountSummary
from bot.domain.scores import ScoreSplit
from bot.domain.verdicts import DEFAULT_BANDS, Bands


@dataclass(frozen=True)
class LoggedInsight:
    """What the confirmation shows about a stored insight."""

    id: int
    account: str
    type: str
    source: str
    sentiment: str | None
    text: str
    themes: tuple[str, ...]
    feature: str | None = None
    competitor: str | None = None


@dataclass(frozen=True)
class ScoreFacts:
    """An answer on the account's timeline: `who` is the contact's name or email."""

    kind: str
    score: int
    category: str
    who: str


@dataclass(frozen=True)
class CaseFacts:
    kind: str
    score: int
    outcome: str | None  # a FollowUpOutcome value, None while open


@dataclass(frozen=True)
class InsightFacts:
    type: str
    source: str
    survey_comment: bool  # logged from a survey comment, not by a person
    themes: tuple[str, ...]


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str  # "score", "case" or "insight"
    facts: ScoreFacts | CaseFacts | InsightFacts  # worded by blocks/reports.py
    detail: str | None = None  # the verbatim comment or insight text
    insight_id: int | None = None
    person: str | None = None  # a Slack user id, shown as a mention


@dataclass(frozen=True)
class Timeline:
    account: AccountSummary
    events: list[Event]
    nps: ScoreSplit | None = None  # the last 90 days' NPS answers, shown with their verdict
    bands: Bands = DEFAULT_BANDS


@dataclass(frozen=True)
class NpsReport:
    """`/voc nps [SCOPE]`: `segment` or `account` names the scope; neither is all accounts."""

    segment: str | None
    account: str | None
    current: ScoreSplit
    previous: ScoreSplit
    bands: Bands = DEFAULT_BANDS


@dataclass(frozen=True)
class ThemesReport:
    days: int
    overall: list[ThemeCount]
    detractors: list[ThemeCount]
    states: dict[str, str] = field(default_factory=dict)  # theme → its triage state, if set


@dataclass
class ShipReport:
    feature: str
    newly_shipped: bool
    sent: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # user id → Slack error
    already: int = 0  # people told by an earlier /voc ship


@dataclass
class DeliveryReport:
    """What one scheduler pass did, by job; passes add up with `+`."""

    sent: int = 0
    failed: int = 0
    retry_later: int = 0
    reconciled: int = 0
    requeued: int = 0
    reminded: int = 0
    expired: int = 0
    cards: int = 0
    escalated: int = 0
    webhooks: int = 0
    digests: int = 0
    rerouted: int = 0  # DMs refused to customers of another organisation: asked in their channel
    shared: int = 0  # people asked in a shared channel post
    planned: int = 0  # invitations the autopilot created (bot/services/autopilot.py)
    emailed: int = 0  # surveys emailed to contacts Slack cannot reach
    jobs_failed: int = 0  # jobs of the pass that raised (logged; tried again next pass)

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        return DeliveryReport(**{k: getattr(self, k) + getattr(other, k) for k in vars(self)})
