"""Past survey answers exported from other tools: which layout a CSV header is, and how to
read one answer from a row of it. Pure rules; bot/services/history.py writes the answers.

Supported layouts, recognised from the header:
- generic: `email,kind,score,comment,answered_at`
- Delighted's response export: Email, Score, Comment, Response timestamp (or Created At),
  with Survey Type when the project is not NPS
- SurveyMonkey's export: Respondent ID, Email Address, End Date, then one column per
  question; the score is the "how likely … recommend" (NPS), "satisfied" (CSAT) or
  "easy" (CES) question, the comment the first "why / tell us / comment" question
- Typeform's export: Submit Date (UTC), an email field, and the questions like SurveyMonkey
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.domain.scales import scale_for
from bot.domain.vocabulary import SurveyKind

COMMENT_MAX = 3000


class BadCell(ValueError):
    """A cell is wrong; the message says what to write instead."""


@dataclass(frozen=True)
class Layout:
    """Which column holds what, for one header."""

    name: str  # said to the person: "Delighted's export"
    email: int
    score: int
    answered_at: int
    comment: int | None
    kind: int | None  # a column naming the kind, or None when `fixed_kind` holds
    fixed_kind: SurveyKind
    date_formats: tuple[str, ...]


@dataclass(frozen=True)
class Answer:
    email: str
    kind: SurveyKind
    score: int
    comment: str | None
    answered_at: datetime


SUPPORTED = (
    "generic (email,kind,score,comment,answered_at), Delighted's response export, "
    "SurveyMonkey's export or Typeform's export"
)
_ISO = (
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
)
_US = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y")
_SCORE = re.compile(r"\s*(\d{1,2})\b")
_SCORE_QUESTIONS = (
    (SurveyKind.NPS, ("recommend",)),
    (SurveyKind.CSAT, ("satisfied", "satisfaction")),
    (SurveyKind.CES, ("easy", "effort")),
)
_COMMENT_WORDS = ("why", "tell us", "comment", "reason", "what could", "anything else")


def detect(header: list[str]) -> Layout | None:
    """The layout of this header, or None when it is none of `SUPPORTED`."""
    names = [cell.strip().lower() for cell in header]
    for reader in (_generic, _delighted, _surveymonkey, _typeform):
        layout = reader(names)
        if layout is not None:
            return layout
    return None


def read(layout: Layout, cells: list[str]) -> Answer:
    """One answer from a row of the layout; `BadCell` says what is wrong."""
    email = _cell(cells, layout.email).lower()
    if "@" not in email:
        raise BadCell(f'"{email}" is not an email address; write it like ana@example.com')
    kind = layout.fixed_kind if layout.kind is None else _kind(_cell(cells, layout.kind))
    score = _score(kind, _cell(cells, layout.score))
    comment = _cell(cells, layout.comment) if layout.comment is not None else ""
    if len(comment) > COMMENT_MAX:
        raise BadCell(f"the comment is longer than {COMMENT_MAX} characters; shorten it")
    answered_at = _when(_cell(cells, layout.answered_at), layout.date_formats)
    return Answer(email, kind, score, comment or None, answered_at)


def _generic(names: list[str]) -> Layout | None:
    wanted = ("email", "kind", "score", "comment", "answered_at")
    if not set(wanted) <= set(names):
        return None
    at = names.index
    return Layout(
        "the generic layout",
        at("email"),
        at("score"),
        at("answered_at"),
        at("comment"),
        at("kind"),
        SurveyKind.NPS,
        _ISO,
    )


def _delighted(names: list[str]) -> Layout | None:
    when = _first(names, lambda n: n in ("response timestamp", "created at", "created at (utc)"))
    if not {"email", "score"} <= set(names) or when is None:
        return None
    kind = _first(names, lambda n: n == "survey type")
    comment = _first(names, lambda n: n == "comment")
    return Layout(
        "Delighted's export",
        names.index("email"),
        names.index("score"),
        when,
        comment,
        kind,
        SurveyKind.NPS,
        _ISO + _US,
    )


def _surveymonkey(names: list[str]) -> Layout | None:
    if not {"respondent id", "email address", "end date"} <= set(names):
        return None
    return _questions(
        "SurveyMonkey's export",
        names,
        names.index("email address"),
        names.index("end date"),
        _US + _ISO,
    )


def _typeform(names: list[str]) -> Layout | None:
    when = _first(names, lambda n: n == "submit date (utc)")
    email = _first(names, lambda n: n in ("email", "email address") or "your email" in n)
    if when is None or email is None:
        return None
    return _questions("Typeform's export", names, email, when, _ISO + _US)


def _questions(
    name: str, names: list[str], email: int, when: int, formats: tuple[str, ...]
) -> Layout | None:
    """Find the score question (its wording names the kind) and the comment question."""
    for kind, words in _SCORE_QUESTIONS:
        score = next((i for i, n in enumerate(names) if any(w in n for w in words)), None)
        if score is not None:
            comment = _first(
                names,
                lambda n: any(n.startswith(word) or f" {word}" in n for word in _COMMENT_WORDS),
            )
            return Layout(name, email, score, when, comment, None, kind, formats)
    return None


def _first(names: list[str], test: Callable[[str], bool]) -> int | None:
    return next((index for index, name in enumerate(names) if test(name)), None)


def _cell(cells: list[str], position: int | None) -> str:
    if position is None or position >= len(cells):
        return ""
    return cells[position].strip()


def _kind(text: str) -> SurveyKind:
    try:
        return SurveyKind(text.lower())
    except ValueError:
        raise BadCell(f'kind "{text}" is not nps, csat or ces') from None


def _score(kind: SurveyKind, text: str) -> int:
    match = _SCORE.match(text)
    scale = scale_for(kind)
    if match is None or not scale.contains(int(match.group(1))):
        raise BadCell(
            f'score "{text}" is not a {kind.value.upper()} score; write a whole number from '
            f"{scale.low} to {scale.high}"
        )
    return int(match.group(1))


def _when(text: str, formats: tuple[str, ...]) -> datetime:
    if text.isdigit():  # a Unix timestamp
        return datetime.fromtimestamp(int(text), tz=UTC)
    for form in formats:
        try:
            moment = datetime.strptime(text, form)
        except ValueError:
            continue
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    raise BadCell(f'"{text}" is not a date and time; write it like 2026-03-14 10:30:00 (UTC)')
