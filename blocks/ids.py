"""Action, block and view ids shared by `blocks/` (which builds) and `handlers/` (which listens)."""

from __future__ import annotations

import re
from enum import StrEnum


class ActionId(StrEnum):
    RATE_PREFIX = "survey.rate."  # followed by the score: one unique id per button
    SHARED_RATE_PREFIX = "survey.shared.rate."  # the same, on a survey in a shared channel
    TELL_WHY = "survey.tell_why"
    OPT_OUT = "survey.opt_out"
    COMMENT_INPUT = "survey.comment.input"
    CLAIM = "case.claim"
    RELEASE = "case.release"
    LOG_FOLLOW_UP = "case.log"
    OUTCOME_SELECT = "case.outcome"
    NOTE_INPUT = "case.note"
    ADVOCACY_PREFIX = "advocacy."  # followed by the offer: review, reference or testimonial
    LOG_FEEDBACK = "voc_log_feedback"  # App Home button: opens the /voc "Log feedback" form
    THEME_CHOICE = "survey.theme"  # a detractor's "what disappointed you most?" menu
    EXIT_OPEN = "exit.open"  # the exit survey's button: opens its modal
    EXIT_REASONS = "exit.reasons"
    EXIT_COMMENT = "exit.comment"
    FOLLOW_UP_PREFIX = "followup."  # a question-set follow-up: followup.<set>.<key>[.<n>]
    FOLLOW_UP_TEXT_PREFIX = "followup.text."  # followed by invitation.set.key


class BlockId(StrEnum):
    RATING = "survey.rating"
    SURVEY_ACTIONS = "survey.actions"
    COMMENT = "survey.comment"
    CASE_ACTIONS = "case.actions"
    OUTCOME = "case.outcome"
    NOTE = "case.note"
    ADVOCACY = "survey.advocacy"
    THEME = "survey.theme"
    ANSWER_PREFIX = "survey.answer."  # followed by the invitation id: one per question answered
    EXIT_ACTIONS = "exit.actions"
    EXIT_REASONS = "exit.reasons"
    EXIT_COMMENT = "exit.comment"


class CallbackId(StrEnum):
    COMMENT_MODAL = "survey.comment"
    FOLLOW_UP_MODAL = "case.follow_up"
    EXIT_MODAL = "exit.modal"


RATE_ACTION = re.compile(r"^survey\.rate\.\d{1,2}$")
SHARED_RATE_ACTION = re.compile(r"^survey\.shared\.rate\.\d{1,2}$")
FOLLOW_UP_ACTION = re.compile(r"^followup\.")
ADVOCACY_ACTION = re.compile(r"^advocacy\.(review|reference|testimonial)$")
SURVEY_METADATA_EVENT = "voc_survey"
CASE_CARD_METADATA_EVENT = "voc_case_card"
EXIT_ANSWER_METADATA_EVENT = "voc_exit_answer"  # the CSM's copy of an exit-survey answer


class VocId(StrEnum):
    """Ids of `/voc`: the Log feedback modal, its fields, and the theme editor."""

    LOG_MODAL = "voc.log"
    THEMES_MODAL = "voc.themes"
    ACCOUNT = "voc.account"  # block and action of the type-ahead (block_suggestion)
    SOURCE = "voc.source"
    TYPE = "voc.type"
    TEXT = "voc.text"
    SENTIMENT = "voc.sentiment"
    FEATURE = "voc.feature"
    COMPETITOR = "voc.competitor"
    THEMES = "voc.themes.select"
    EDIT_THEMES_PREFIX = "voc.edit_themes."  # followed by the insight id: unique per message
    SURVEY_MODAL = "voc.survey"  # /voc survey: the question sets, previewed and changed
    SURVEY_DEFINITION = "voc.survey.definition"
    SURVEY_TEMPLATES = "voc.survey.templates"


EDIT_THEMES_ACTION = re.compile(r"^voc\.edit_themes\.\d+$")
