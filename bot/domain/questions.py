"""Which questions follow which in one survey message: pure rules, no I/O.

A survey is one message with at most `MAX_QUESTIONS` questions. The first is the one the
survey was sent for; every later one is optional and asked in place, in the same message,
once the one before is answered:

- a closed support ticket asks CSAT, then CES (`follow_up_kinds`), each question on its
  own scale (one invitation each, so one kind and one scale per question);
- an NPS detractor (0–6) is asked what disappointed them most, with a choice of the
  customer-facing themes (`asks_theme`), before the free comment.

The free comment ("Tell us why") is not counted: it was always there and stays optional.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.cards import SurveyCard
from bot.domain.scales import category
from bot.domain.vocabulary import SurveyKind, Theme, Trigger

MAX_QUESTIONS = 3

# Surveys of one event asked in one message, one after the other, when the trigger is here.
IN_ONE_MESSAGE: frozenset[str] = frozenset({Trigger.SUPPORT})

# What a detractor may choose as "what disappointed you most": the themes a customer would
# name about us (not "praise", and not "competitor", which is our reading, not their words).
THEME_CHOICES: tuple[Theme, ...] = (
    Theme.PRODUCT_BUG,
    Theme.MISSING_FEATURE,
    Theme.USABILITY,
    Theme.PERFORMANCE,
    Theme.SLOW_SUPPORT,
    Theme.UNHELPFUL_SUPPORT,
    Theme.ONBOARDING,
    Theme.DOCUMENTATION,
    Theme.PRICING,
    Theme.INTEGRATIONS,
)


@dataclass(frozen=True)
class Question:
    """One scored question of a survey (a detractor's theme choice is `asks_theme`)."""

    kind: SurveyKind
    follows: int | None  # the position of the question it is asked after; None: the first


def plan(trigger: str, kinds: tuple[str, ...]) -> tuple[Question, ...]:
    """The event's questions: chained in one message when the trigger says so, else each
    its own survey (every `follows` None).

    Raises:
        ValueError: a chain longer than MAX_QUESTIONS, or one kind asked twice.
    """
    chained = trigger in IN_ONE_MESSAGE
    questions = tuple(
        Question(SurveyKind(kind), index - 1 if chained and index else None)
        for index, kind in enumerate(kinds)
    )
    if chained:
        check_chain(tuple(q.kind for q in questions))
    return questions


def check_chain(kinds: tuple[SurveyKind, ...]) -> None:
    """A chain in one message: at most MAX_QUESTIONS (counting a theme choice a detractor
    of the last NPS could get), each kind (so each scale) once.

    Raises:
        ValueError: when the chain breaks those rules.
    """
    asked = len(kinds) + (1 if kinds and kinds[-1] is SurveyKind.NPS else 0)
    if asked > MAX_QUESTIONS:
        raise ValueError(f"{asked} questions in one message; at most {MAX_QUESTIONS}")
    if len(set(kinds)) != len(kinds):
        raise ValueError("a kind asked twice in one message mixes answers on one scale")


def asks_theme(kind: str, score: int | None) -> bool:
    """Whether the answer is followed by "what disappointed you most?": NPS 0–6."""
    return kind == SurveyKind.NPS and score is not None and category(kind, score) == "detractor"


def theme_choice(value: str) -> Theme | None:
    """The theme a respondent chose, or None when it is not one they could be offered."""
    return next((theme for theme in THEME_CHOICES if theme.value == value), None)


@dataclass(frozen=True)
class ChainCard:
    """A survey message of several questions: the ones asked so far, first to last.

    A step whose `score` is None is the question open now; the first step holds the
    comment ("Tell us why" is about the first question, the one the survey was sent for).
    """

    steps: tuple[SurveyCard, ...]
    closed: str | None = None  # "expired" or "opted_out": the open question can't be answered

    @property
    def first(self) -> SurveyCard:
        return self.steps[0]

    @property
    def last(self) -> SurveyCard:
        return self.steps[-1]
