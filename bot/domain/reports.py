"""What services report back to a person: results that blocks/ turns into messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from storage.insights import ThemeCount
from storage.models import Account
from storage.nps import ScoreSplit


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
class Event:
    at: datetime
    kind: str  # "score", "case" or "insight"
    summary: str  # plain text, escaped by blocks/
    detail: str | None = None  # the verbatim comment or insight text
    insight_id: int | None = None
    person: str | None = None  # a Slack user id, shown as a mention


@dataclass(frozen=True)
class Timeline:
    account: Account
    events: list[Event]


@dataclass(frozen=True)
class NpsReport:
    scope: str
    current: ScoreSplit
    previous: ScoreSplit


@dataclass(frozen=True)
class ThemesReport:
    days: int
    overall: list[ThemeCount]
    detractors: list[ThemeCount]


@dataclass
class ShipReport:
    feature: str
    newly_shipped: bool
    sent: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # user id → Slack error
    already: int = 0  # people told by an earlier /voc ship
