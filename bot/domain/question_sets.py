"""Question sets: the survey a team designs for one moment, and the rules it must keep.

A set is the core metric (NPS, CSAT or CES: one scale, the question the survey was sent
for, asked and stored as before) plus up to `MAX_FOLLOW_UPS` follow-up questions, asked in
the same message (Slack) or on the same page (email) once the score is tapped, each
optional. A follow-up is a single choice (up to `MAX_OPTIONS` options), a yes/no, a 1–5
rating or a short text. Sets are versioned (storage/question_sets.py): an answer keeps the
version it was asked in.

`check_set` turns one set as written (a mapping from SURVEYS_FILE or the `/voc survey`
modal) into a `QuestionSet`, or raises `SetError` naming the one problem. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.domain.errors import UserError
from bot.domain.survey_templates import TEMPLATES
from bot.domain.vocabulary import SurveyKind, Trigger

MAX_QUESTIONS = 5  # the core metric and its follow-ups
MAX_FOLLOW_UPS = MAX_QUESTIONS - 1
MAX_OPTIONS = 8
TEXT_MAX = 500  # a respondent's short text answer
QUESTION_MAX = 200  # a follow-up's words, per language
OPTION_MAX = 75  # Slack's limit for a button or option text
LANGUAGES = ("en", "ms")
METRICS = tuple(kind.value for kind in SurveyKind)
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
EXIT_METRIC = "exit"  # an exit set's core: the exit survey's reasons and comment, no score
ONBOARDING_DAY = re.compile(r"^onboarding_day_([1-9][0-9]{0,2})$")

# The moments a set may be defined for, and the invitations' trigger each one means.
TRIGGERS: dict[str, str] = {
    "relationship": Trigger.RELATIONSHIP,
    "ticket_closed": Trigger.SUPPORT,
    "onboarding": Trigger.ONBOARDING,
    "training": Trigger.TRAINING,
    "renewal": Trigger.RENEWAL,
    "exit": Trigger.CHURN,
}


class QuestionType(StrEnum):
    CHOICE = "choice"
    YES_NO = "yes_no"
    RATING = "rating"  # 1–5
    TEXT = "text"


YES_NO = ("yes", "no")
RATINGS = ("1", "2", "3", "4", "5")


class SetError(UserError):
    """A question set that breaks a rule: one line naming the problem (and where)."""


@dataclass(frozen=True)
class FollowUp:
    """One follow-up question: its key (the export's column), type, words and options."""

    key: str
    type: QuestionType
    text: Mapping[str, str]  # language → words; "en" always there
    options: tuple[Mapping[str, str], ...] = ()  # a choice's options, language → words

    def words(self, locale: str | None) -> str:
        return self.text.get(language(locale), self.text["en"])

    def choices(self, locale: str | None) -> tuple[tuple[str, str], ...]:
        """(value, label) pairs a respondent can pick; a choice's value is its position."""
        if self.type is QuestionType.CHOICE:
            lang = language(locale)
            return tuple(
                (str(n + 1), option.get(lang, option["en"]))
                for n, option in enumerate(self.options)
            )
        if self.type is QuestionType.YES_NO:
            labels = {"en": ("Yes", "No"), "ms": ("Ya", "Tidak")}[language(locale)]
            return tuple(zip(YES_NO, labels, strict=True))
        if self.type is QuestionType.RATING:
            return tuple((r, r) for r in RATINGS)
        return ()

    def label(self, value: str, locale: str | None = "en") -> str:
        """The words of an answer (a choice's option, Yes/No, a rating, the text itself)."""
        return dict(self.choices(locale)).get(value, value)

    def accepts(self, value: str) -> bool:
        if self.type is QuestionType.TEXT:
            return 0 < len(value.strip()) <= TEXT_MAX
        return value in dict(self.choices("en"))


@dataclass(frozen=True)
class QuestionSet:
    """A survey for one moment: its core metric and follow-ups (`version` once stored)."""

    name: str
    trigger: str  # a key of TRIGGERS or onboarding_day_N
    metric: str  # a SurveyKind value
    follow_ups: tuple[FollowUp, ...] = ()
    template: str | None = None  # the built-in it was switched on from
    version: int | None = None
    set_id: int | None = None  # the stored version's row

    def question(self, key: str) -> FollowUp | None:
        return next((q for q in self.follow_ups if q.key == key), None)

    def definition(self) -> dict[str, Any]:
        """The set as written (what `check_set` reads back to this set)."""
        out: dict[str, Any] = {"trigger": self.trigger, "metric": self.metric}
        out["questions"] = [_written(q) for q in self.follow_ups]
        if self.template:
            out["template"] = self.template
        return out


@dataclass(frozen=True)
class FollowUpCard:
    """The follow-ups a survey asks after its score: the set version and the answers."""

    invitation_id: int
    qset: QuestionSet
    locale: str | None
    answers: dict[str, str] = field(default_factory=dict)
    product: str | None = None


@dataclass(frozen=True)
class SetProblem:
    """A problem found in a file: the message and the line it is on (None: unknown)."""

    message: str
    line: int | None = None

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass
class Checked:
    """What a whole file holds: the sets, or the problems found (never both)."""

    sets: list[QuestionSet] = field(default_factory=list)
    problems: list[SetProblem] = field(default_factory=list)


def language(locale: str | None) -> str:
    return "ms" if (locale or "").lower().startswith("ms") else "en"


def asked_kinds(qset: QuestionSet | None, defaults: tuple[str, ...]) -> tuple[str, ...]:
    """The survey kinds a trigger asks once `qset` is in force for it: the set's metric
    alone (one scale a survey, then its follow-ups), in place of the trigger's own kinds (a
    closed ticket's CSAT→CES, onboarding's CSAT and NPS). Without a set, the trigger's."""
    if qset is None or qset.metric == EXIT_METRIC:
        return defaults
    return (qset.metric,)


def invitation_trigger(trigger: str) -> str:
    """The invitations' trigger a set's trigger means (onboarding day N: the milestone)."""
    if ONBOARDING_DAY.match(trigger):
        return Trigger.MILESTONE
    return TRIGGERS[trigger]


def check_set(name: str, raw: object) -> QuestionSet:
    """One set as written, checked; a template's questions filled in.

    Raises:
        SetError: one line naming the problem.
    """
    if not isinstance(raw, Mapping):
        raise SetError(f"survey {name}: expected a mapping with trigger, metric and questions")
    if not KEY.match(name):
        raise SetError(f"survey name {name!r}: use lower-case letters, digits and _")
    trigger = str(raw.get("trigger", ""))
    if trigger not in TRIGGERS and not ONBOARDING_DAY.match(trigger):
        known = ", ".join([*TRIGGERS, "onboarding_day_N"])
        raise SetError(f"survey {name}: unknown trigger {trigger!r} (known: {known})")
    template = raw.get("template")
    if template is not None:
        if template not in TEMPLATES:
            raise SetError(
                f"survey {name}: unknown template {template!r} (known: {', '.join(TEMPLATES)})"
            )
        raw = {**TEMPLATES[str(template)], **raw}
    metric = raw.get("metric")
    if trigger == "exit":
        if metric not in (None, EXIT_METRIC):
            raise SetError(
                f"survey {name}: an exit survey asks why they left (reasons and a comment), "
                "not a score; leave metric out"
            )
        metric = EXIT_METRIC
    elif isinstance(metric, list) and len(set(metric)) > 1:
        raise SetError(f"survey {name}: mixed scales {', '.join(map(str, metric))}; one metric")
    metric = metric[0] if isinstance(metric, list) and metric else metric
    if metric not in METRICS and metric != EXIT_METRIC:
        raise SetError(f"survey {name}: metric must be one of {', '.join(METRICS)}")
    questions = raw.get("questions") or []
    if not isinstance(questions, list):
        raise SetError(f"survey {name}: questions must be a list")
    if 1 + len(questions) > MAX_QUESTIONS:
        core = "exit reasons" if metric == EXIT_METRIC else f"{str(metric).upper()} score"
        raise SetError(
            f"survey {name}: {1 + len(questions)} questions; at most {MAX_QUESTIONS} "
            f"(the {core} and up to {MAX_FOLLOW_UPS} follow-ups)"
        )
    follow_ups = tuple(_follow_up(name, n, q, str(metric)) for n, q in enumerate(questions))
    keys = [q.key for q in follow_ups]
    if len(set(keys)) != len(keys):
        raise SetError(f"survey {name}: a question key is used twice")
    return QuestionSet(name, trigger, str(metric), follow_ups, str(template) if template else None)


def check_all(sets: Mapping[str, object]) -> QuestionSet | None:
    """Across sets: one set a trigger. Returns None, or raises SetError."""
    seen: dict[str, str] = {}
    for name, raw in sets.items():
        trigger = str(raw.get("trigger", "")) if isinstance(raw, Mapping) else ""
        if trigger in seen:
            raise SetError(f"surveys {seen[trigger]} and {name} are both for {trigger}; one each")
        seen[trigger] = name
    return None


def _follow_up(name: str, n: int, raw: object, metric: str) -> FollowUp:
    where = f"survey {name}, question {n + 1}"
    if not isinstance(raw, Mapping):
        raise SetError(f"{where}: expected a mapping with key, type and text")
    kind = str(raw.get("type", ""))
    if kind in METRICS:
        raise SetError(
            f"{where}: mixed scales: a {kind.upper()} question in a {metric.upper()} survey; "
            "one core metric a survey (use rating for a 1–5 question)"
        )
    if kind not in [t.value for t in QuestionType]:
        known = ", ".join(t.value for t in QuestionType)
        raise SetError(f"{where}: unknown type {kind!r} (known: {known})")
    key = str(raw.get("key", ""))
    if not KEY.match(key):
        raise SetError(f"{where}: key {key!r}: use lower-case letters, digits and _")
    text = _words(f"{where} ({key})", raw.get("text"), QUESTION_MAX)
    options: tuple[Mapping[str, str], ...] = ()
    if kind == QuestionType.CHOICE:
        listed = raw.get("options")
        if not isinstance(listed, list) or not listed:
            raise SetError(f"{where} ({key}): empty option list; a choice needs 1–{MAX_OPTIONS}")
        if len(listed) > MAX_OPTIONS:
            raise SetError(
                f"{where} ({key}): {len(listed)} options; a choice has at most {MAX_OPTIONS}"
            )
        options = tuple(_words(f"{where} ({key}) option", o, OPTION_MAX) for o in listed)
    elif raw.get("options"):
        raise SetError(f"{where} ({key}): only a choice question has options")
    return FollowUp(key, QuestionType(kind), text, options)


def _words(where: str, raw: object, longest: int) -> Mapping[str, str]:
    """Words in every language: a string (all languages) or {en: …, ms: …}."""
    if isinstance(raw, str):
        raw = {"en": raw}
    if not isinstance(raw, Mapping) or not str(raw.get("en") or "").strip():
        raise SetError(f"{where}: the words are missing (text: or text: {{en: …, ms: …}})")
    words: dict[str, str] = {}
    for lang, value in raw.items():
        if lang not in LANGUAGES:
            raise SetError(f"{where}: unknown language {lang!r} (known: en, ms)")
        text = " ".join(str(value).split())
        if len(text) > longest:
            raise SetError(f"{where}: {len(text)} characters; at most {longest}")
        words[str(lang)] = text
    return words


def _written(q: FollowUp) -> dict[str, Any]:
    out: dict[str, Any] = {"key": q.key, "type": q.type.value, "text": dict(q.text)}
    if q.options:
        out["options"] = [dict(o) for o in q.options]
    return out


@dataclass(frozen=True)
class FollowUpSummary:
    """The digest's reading of one follow-up question: counts per answer (choice, yes/no,
    rating) or per theme (text, themed like comments), with the number of answers."""

    survey: str
    key: str
    words: str  # the question in English, as its newest version asks it
    type: QuestionType
    answers: int
    counts: tuple[tuple[str, int], ...]  # (answer's words or theme, count), most first


def summarise(
    rows: list[tuple[int, str, str, list[str]]], sets: Mapping[int, QuestionSet]
) -> list[FollowUpSummary]:
    """Answers (set version id, key, value, themes) summed per set and question; versions
    of one set count together, each answer labelled with the version it was asked in."""
    counted: dict[tuple[str, str], dict[str, int]] = {}
    totals: dict[tuple[str, str], int] = {}
    asked: dict[tuple[str, str], FollowUp] = {}
    for set_id, key, value, themes in rows:
        qset = sets.get(set_id)
        question = qset.question(key) if qset else None
        if qset is None or question is None:
            continue
        where = (qset.name, key)
        asked[where] = question
        totals[where] = totals.get(where, 0) + 1
        labels = themes if question.type is QuestionType.TEXT else [question.label(value, "en")]
        for label in labels:
            counted.setdefault(where, {})[label] = counted.get(where, {}).get(label, 0) + 1
    return [
        FollowUpSummary(
            name,
            key,
            asked[(name, key)].words("en"),
            asked[(name, key)].type,
            totals[(name, key)],
            tuple(sorted(counted.get((name, key), {}).items(), key=lambda c: (-c[1], c[0]))),
        )
        for name, key in sorted(asked)
    ]
