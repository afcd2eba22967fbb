"""Triage rules: the words for each state, who is told by default, and impact figures.

A feature request and a theme move through the same states (`RequestStatus`); a theme
marked `shipped` is a theme fixed. When a request's state changes, the people who asked for
it are told on planned, shipped and known issue unless staff say `--quiet`, and on the other
states only when staff say `--tell`; each person hears each state once (`NoticeKind`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.domain.errors import UserError
from bot.domain.scores import MIN_ANSWERS
from bot.domain.vocabulary import NoticeKind, RequestStatus, Theme

# what people may type for each state (two words before one: "known issue", "in progress")
STATE_WORDS: dict[str, RequestStatus] = {
    "new": RequestStatus.NEW,
    "under review": RequestStatus.UNDER_REVIEW,
    "review": RequestStatus.UNDER_REVIEW,
    "reviewing": RequestStatus.UNDER_REVIEW,
    "planned": RequestStatus.PLANNED,
    "in progress": RequestStatus.IN_PROGRESS,
    "in-progress": RequestStatus.IN_PROGRESS,
    "progress": RequestStatus.IN_PROGRESS,
    "shipped": RequestStatus.SHIPPED,
    "fixed": RequestStatus.SHIPPED,
    "declined": RequestStatus.DECLINED,
    "known issue": RequestStatus.KNOWN_ISSUE,
    "known-issue": RequestStatus.KNOWN_ISSUE,
}
STATES = tuple(dict.fromkeys(RequestStatus))  # in order, without the OPEN alias
TOLD_BY_DEFAULT = frozenset(
    {RequestStatus.PLANNED, RequestStatus.SHIPPED, RequestStatus.KNOWN_ISSUE}
)
NOTICE_OF: dict[RequestStatus, NoticeKind] = {
    RequestStatus.NEW: NoticeKind.NEW,
    RequestStatus.UNDER_REVIEW: NoticeKind.UNDER_REVIEW,
    RequestStatus.PLANNED: NoticeKind.PLANNED,
    RequestStatus.IN_PROGRESS: NoticeKind.IN_PROGRESS,
    RequestStatus.SHIPPED: NoticeKind.SHIPPED,
    RequestStatus.DECLINED: NoticeKind.DECLINED,
    RequestStatus.KNOWN_ISSUE: NoticeKind.KNOWN_ISSUE,
}
IMPACT_WINDOW = timedelta(days=90)  # before vs after a ship or fix date
NOTE_MAX = 500


def state_named(words: list[str]) -> tuple[RequestStatus, int] | None:
    """The state the first one or two words name, and how many words it took."""
    for size in (2, 1):
        if len(words) >= size:
            found = STATE_WORDS.get(" ".join(words[:size]).lower())
            if found is not None:
                return found, size
    return None


def tells(state: RequestStatus, asked: bool | None) -> bool:
    """Whether requesters hear of this state: staff's `--tell` / `--quiet`, else the default."""
    return state in TOLD_BY_DEFAULT if asked is None else asked


@dataclass(frozen=True)
class Figure:
    """A score or share with the answers behind it; unreadable below `MIN_ANSWERS`."""

    value: float | None
    answers: int

    @property
    def too_few(self) -> bool:
        return self.answers < MIN_ANSWERS or self.value is None


@dataclass(frozen=True)
class Window:
    """One side of a ship or fix date: NPS, CSAT and (for a theme) its share of comments."""

    nps: Figure
    csat: Figure
    share: Figure | None = None  # the theme's comments ÷ all comments; answers = all comments


@dataclass(frozen=True)
class Impact:
    at: datetime  # the ship or fix date
    accounts: int  # the requesting accounts the scores are read from
    before: Window
    after: Window
    complete: bool  # False while the 90 days after have not all passed


def nps_figure(promoters: int, passives: int, detractors: int) -> Figure:
    total = promoters + passives + detractors
    return Figure(100 * (promoters - detractors) / total if total else None, total)


def average_figure(score_sum: int, count: int) -> Figure:
    return Figure(score_sum / count if count else None, count)


def share_figure(themed: int, comments: int) -> Figure:
    return Figure(themed / comments if comments else None, comments)


@dataclass(frozen=True)
class StateChanged:
    """What `/voc request ID STATE` did: the state, and who was told (None: nobody asked)."""

    request_id: int
    feature: str
    state: RequestStatus
    changed: bool  # False: it was in that state already
    told: int = 0
    already: int = 0  # people told of this state before
    failed: tuple[tuple[str, str], ...] = ()  # (user id, Slack error)
    telling: bool = False


@dataclass(frozen=True)
class ThemeStateChanged:
    theme: str
    state: RequestStatus
    changed: bool


@dataclass(frozen=True)
class RequestDetail:
    """One request as `/voc request ID` shows it, with its impact once shipped."""

    request_id: int
    feature: str
    state: RequestStatus
    note: str | None
    state_at: datetime | None
    state_by: str | None
    arr: float
    accounts: tuple[tuple[str, float | None], ...]  # (name, ARR), highest first
    mentions: int
    tell_customers: bool
    impact: Impact | None = None


# --- "you said, we did": the monthly roll-up of what shipped and what was fixed ----------

ROLLUP_HOUR = 9  # posted from 09:00 (DIGEST_TZ) on the month's first working day


@dataclass(frozen=True)
class ShippedRequest:
    request_id: int
    feature: str
    shipped_at: datetime
    accounts: tuple[tuple[str, float | None], ...]  # (name, ARR), highest first
    arr: float
    impact: Impact
    tell_customers: bool


@dataclass(frozen=True)
class FixedTheme:
    theme: str
    fixed_at: datetime
    note: str | None
    impact: Impact


@dataclass(frozen=True)
class Rollup:
    month: str  # "2026-11"
    shipped: tuple[ShippedRequest, ...]
    fixed: tuple[FixedTheme, ...]

    @property
    def arr(self) -> float:
        return sum(item.arr for item in self.shipped)


def month_named(typed: str) -> tuple[int, int]:
    """`2026-11` → (2026, 11); anything else is a UserError saying what to type."""
    year, dash, month = typed.strip().partition("-")
    if dash and year.isdigit() and month.isdigit() and len(year) == 4 and 1 <= int(month) <= 12:
        return int(year), int(month)
    raise UserError(f"`{typed[:20]}` is not a month: type it as YYYY-MM, e.g. `2026-11`.")


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def month_before(day: date) -> tuple[int, int]:
    return (day.year - 1, 12) if day.month == 1 else (day.year, day.month - 1)


def month_after(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def first_working_day(year: int, month: int) -> date:
    """The month's first Monday-to-Friday day."""
    day = date(year, month, 1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


# --- THEME_OWNERS: who hears of each new themed comment and request ----------------------

_OWNER = re.compile(r"[UWS][A-Z0-9]{2,}")  # a Slack user (U…, W…) or user group (S…)


def parse_theme_owners(value: str) -> dict[str, tuple[str, ...]]:
    """`slow support=U123,pricing=S456,…` → theme → owners; a bad entry is a ValueError
    naming it (the start-up error, bot/core/config.py). A theme may have several owners."""
    owners: dict[str, list[str]] = {}
    themes = {theme.value: theme.value for theme in Theme}
    for entry in (part.strip() for part in value.split(",")):
        if not entry:
            continue
        name, equals, owner = (side.strip() for side in entry.partition("="))
        if not equals or not name or not owner:
            raise ValueError(f"`{entry}` is not theme=USERID (e.g. `slow support=U0123ABCD`)")
        theme = themes.get(" ".join(name.lower().split()))
        if theme is None:
            known = ", ".join(themes)
            raise ValueError(f"`{entry}`: `{name}` is not a theme (the themes: {known})")
        if not _OWNER.fullmatch(owner):
            raise ValueError(
                f"`{entry}`: `{owner}` is not a Slack user id (U…) or user group id (S…)"
            )
        owners.setdefault(theme, []).append(owner)
    return {theme: tuple(dict.fromkeys(ids)) for theme, ids in owners.items()}


def owners_of(themes: list[str], owners: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The owners of any of these themes, each once, in theme order."""
    return tuple(dict.fromkeys(owner for theme in themes for owner in owners.get(theme, ())))


def unowned(themes: list[str], owners: dict[str, tuple[str, ...]]) -> list[str]:
    return [theme for theme in themes if theme not in owners]
