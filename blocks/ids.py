"""Action, block and view ids shared by `blocks/` (which builds) and `handlers/` (which listens)."""

from __future__ import annotations

import re
from enum import StrEnum


class ActionId(StrEnum):
    RATE_PREFIX = "survey.rate."  # followed by the score: one unique id per button
    TELL_WHY = "survey.tell_why"
    OPT_OUT = "survey.opt_out"
    COMMENT_INPUT = "survey.comment.input"


class BlockId(StrEnum):
    RATING = "survey.rating"
    SURVEY_ACTIONS = "survey.actions"
    COMMENT = "survey.comment"


class CallbackId(StrEnum):
    COMMENT_MODAL = "survey.comment"


RATE_ACTION = re.compile(r"^survey\.rate\.\d{1,2}$")
SURVEY_METADATA_EVENT = "voc_survey"
