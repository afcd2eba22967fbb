"""The exit survey: why a churning customer is leaving, and which themes each reason means."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.vocabulary import Theme

EXIT_KIND = "exit"  # an invitation's kind: no score, a choice of reasons and a comment
COMMENT_MAX = 3000


class ExitReason(StrEnum):
    PRICE = "price"
    MISSING_FEATURES = "missing_features"
    HARD_TO_USE = "hard_to_use"
    PRODUCT_QUALITY = "product_quality"
    SUPPORT = "support"
    COMPETITOR = "competitor"
    NO_LONGER_NEEDED = "no_longer_needed"
    OTHER = "other"


# The taxonomy's theme each reason counts under in the digest (none for the last two).
REASON_THEMES: dict[ExitReason, Theme | None] = {
    ExitReason.PRICE: Theme.PRICING,
    ExitReason.MISSING_FEATURES: Theme.MISSING_FEATURE,
    ExitReason.HARD_TO_USE: Theme.USABILITY,
    ExitReason.PRODUCT_QUALITY: Theme.PRODUCT_BUG,
    ExitReason.SUPPORT: Theme.UNHELPFUL_SUPPORT,
    ExitReason.COMPETITOR: Theme.COMPETITOR,
    ExitReason.NO_LONGER_NEEDED: None,
    ExitReason.OTHER: None,
}


def parse_reasons(values: Iterable[str]) -> tuple[ExitReason, ...]:
    """The reasons chosen, in the survey's order; unknown values (an old message) dropped."""
    chosen = set(values)
    return tuple(reason for reason in ExitReason if reason.value in chosen)


def themes_for(reasons: Iterable[ExitReason]) -> set[Theme]:
    """The themes the chosen reasons count under."""
    return {theme for reason in reasons if (theme := REASON_THEMES[reason]) is not None}


def clean_comment(text: str | None) -> str | None:
    """The comment trimmed, None when blank, cut to COMMENT_MAX."""
    stripped = (text or "").strip()
    return stripped[:COMMENT_MAX] or None


@dataclass(frozen=True)
class ExitNotice:
    """What the account's CSM (or #voc, when the account has none) is told of an exit answer."""

    answer_id: int
    contact: str  # the contact's name, or their email
    account: str
    reasons: tuple[ExitReason, ...]
    comment: str | None
    csm_user_id: str | None
    answered_at: datetime
