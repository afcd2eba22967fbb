"""Read models: what the digest, reports, campaigns and monitoring show, as plain values.

Storage's aggregate queries return these; services pass them on; blocks/ and the CLI turn
them into words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from bot.domain.health import HealthSummary
from bot.domain.question_sets import FollowUpSummary
from bot.domain.scores import Average, CompletionRate, ScoreSplit
from bot.domain.verdicts import DEFAULT_BANDS, Bands


@dataclass(frozen=True)
class RequestOutcome:
    """A shipped request and what the customers who asked said a week later."""

    name: str
    shipped_at: datetime | None
    url: str | None
    asked: int  # questions sent
    yes: int
    not_quite: int
    comments: tuple[str, ...]  # "not quite" comments, newest first


@dataclass
class Figures:
    """What a campaign's invitations came to."""

    created: int = 0
    scheduled: int = 0
    resolving: int = 0  # made by `send`, their person not found in Slack yet
    sent: int = 0  # went out (or is going out now), answered or not
    answered: int = 0
    failed: int = 0
    skipped: dict[str, int] = field(default_factory=dict)  # by reason
    next_due: datetime | None = None  # the earliest not yet gone out
    last_due: datetime | None = None


@dataclass(frozen=True)
class OpsSnapshot:
    invitations: dict[tuple[str, str, str], int]  # (status, kind, channel) -> count
    due_backlog: int  # scheduled and due, not yet claimed
    outbox_backlog: int  # webhooks not yet delivered
    outbox_oldest: datetime | None  # when the oldest undelivered webhook was written
    escalations: int  # escalation steps taken, all cases


@dataclass(frozen=True)
class ThemeCount:
    theme: str
    count: int  # insights in scope carrying the theme
    total: int  # insights in scope: the denominator of the share

    @property
    def share(self) -> float | None:
        return self.count / self.total if self.total else None


@dataclass(frozen=True)
class RequestRank:
    id: int
    name: str
    status: str
    accounts: int  # distinct accounts that asked
    arr: float  # summed ARR of those accounts, each counted once
    mentions: int  # insights linked to the request


@dataclass(frozen=True)
class ThemeTrend:
    """A top theme's share this period against the period before, and where it is heard."""

    theme: str
    share: float | None
    previous_share: float | None
    segment: str | None  # the segment most of its mentions come from
    segment_share: float | None  # that segment's part of the theme's mentions


@dataclass(frozen=True)
class HeardText:
    """An insight's words with its account, for reading signals and sentiment."""

    account: str
    segment: str | None
    text: str


@dataclass(frozen=True)
class HeardSignal:
    """A churn-risk or expansion flag raised by one insight, and the phrase that raised it."""

    kind: str
    account: str
    phrase: str


@dataclass(frozen=True)
class Window:
    since: datetime
    until: datetime


@dataclass(frozen=True)
class PeriodFigures:
    """One window's answers: the NPS split, CSAT and CES averages, all responses."""

    window: Window
    nps: ScoreSplit
    csat: Average
    ces: Average
    responses: int
    csat_satisfied: int = 0  # CSAT answers 4–5 of 5
    ces_easy: int = 0  # CES answers 5–7 of 7

    @property
    def csat_share(self) -> float | None:
        return self.csat_satisfied / self.csat.count if self.csat.count else None

    @property
    def ces_share(self) -> float | None:
        return self.ces_easy / self.ces.count if self.ces.count else None


@dataclass(frozen=True)
class ResponseRate:
    """Of everyone a window's surveys meant to ask, how many answered.

    `sent` reached their person; `unreachable` never could (no Slack user, a shared channel
    the bot cannot read, a refused DM with nowhere else to go). Both count: a rate over
    the sent alone looks fine while most accounts were never asked.
    """

    answered: int
    sent: int
    unreachable: int = 0

    @property
    def meant(self) -> int:
        return self.sent + self.unreachable

    @property
    def share(self) -> float | None:
        return self.answered / self.meant if self.meant else None

    @property
    def unreachable_share(self) -> float | None:
        return self.unreachable / self.meant if self.meant else None


@dataclass(frozen=True)
class GroupNps:
    label: str
    split: ScoreSplit


@dataclass(frozen=True)
class WeekNps:
    week_start: datetime
    split: ScoreSplit


@dataclass(frozen=True)
class Verbatim:
    kind: str
    score: int
    comment: str
    account: str
    answered_at: datetime


@dataclass(frozen=True)
class Digest:
    """Everything the weekly digest shows, as of one moment."""

    as_of: datetime
    today: date  # the digest's date in DIGEST_TZ (tenure is measured to it)
    week: PeriodFigures
    previous_week: PeriodFigures
    quarter: PeriodFigures  # the last 90 days
    previous_quarter: PeriodFigures
    week_rate: ResponseRate
    quarter_rate: ResponseRate
    breakdowns: dict[str, list[GroupNps]]
    themes: list[ThemeCount]  # insights of the last 90 days
    detractor_themes: list[ThemeCount]
    completion: CompletionRate  # cases opened in the last 90 days; open and overdue now
    requests: list[RequestRank]
    verbatims: list[Verbatim]
    trend: list[WeekNps] = field(default_factory=list)
    theme_trends: list[ThemeTrend] = field(default_factory=list)  # top themes vs 90 days before
    signals: list[HeardSignal] = field(default_factory=list)  # churn / expansion, last week
    week_sentiment: dict[str, int] = field(default_factory=dict)  # last week's insights
    # CSAT of the last 90 days by the ticket's context: "agent" and "issue_type" → label → CSAT
    csat_by: dict[str, dict[str, Average]] = field(default_factory=dict)
    unowned_themes: list[str] = field(default_factory=list)  # last week's, no THEME_OWNERS entry
    health: HealthSummary | None = None  # account health's movers over the week
    followups: list[FollowUpSummary] = field(default_factory=list)  # question sets, 90 days
    bands: Bands = DEFAULT_BANDS  # VERDICT_BANDS: what each figure's verdict reads against
    people: dict[str, str] = field(default_factory=dict)  # Slack user id → name, for the CLI

    @property
    def empty(self) -> bool:
        return self.quarter.responses == 0 and self.quarter_rate.meant == 0
