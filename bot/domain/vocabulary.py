"""The product's vocabulary: every enumerated value the tables, rules and messages share.

Storage keeps these as plain strings in its columns; everything above reads them as these
enums. The module imports nothing of the project, so any layer may use it.
"""

from __future__ import annotations

from enum import StrEnum


class SurveyKind(StrEnum):
    NPS = "nps"
    CSAT = "csat"
    CES = "ces"


class Trigger(StrEnum):
    RELATIONSHIP = "relationship"
    SUPPORT = "support"
    ONBOARDING = "onboarding"
    TRAINING = "training"
    RENEWAL = "renewal"
    MILESTONE = "milestone"  # day N after onboarding_started, activated or customer_since
    CHURN = "churn"  # the exit survey


class InvitationStatus(StrEnum):
    SCHEDULED = "scheduled"
    SENDING = "sending"  # claimed by a worker; Slack may or may not have the message yet
    SENT = "sent"
    REMINDED = "reminded"
    ANSWERED = "answered"
    EXPIRED = "expired"
    FAILED = "failed"
    SKIPPED = "skipped"
    WAITING = "waiting"  # a follow-up question, asked once its first question is answered
    RESOLVING = "resolving"  # made by `send`; the worker is finding the person in Slack


class SkipReason(StrEnum):
    OPTED_OUT = "opted out"
    FATIGUE = "fatigue"
    NO_SLACK_USER = "no Slack user"
    CHANNEL_UNREADABLE = "shared channel unreadable"  # the bot is not in the account's channel
    ALREADY_SCHEDULED = "already scheduled"  # a survey of the family waits to go out
    CANCELLED = "cancelled"  # `campaigns cancel`: taken back before it went out
    FIRST_UNANSWERED = "first question unanswered"  # a follow-up never asked: see questions.py
    INACTIVE = "inactive in the CRM"  # archived or deleted there: never surveyed again


# Skip reasons that mean "we meant to ask but could not reach them" (the digest counts these).
UNREACHABLE_REASONS = (SkipReason.NO_SLACK_USER, SkipReason.CHANNEL_UNREADABLE)


class DeliveryChannel(StrEnum):
    """How a survey reached its person: their DM, the account's shared channel, or email."""

    SLACK = "slack"
    SLACK_CHANNEL = "slack_channel"
    EMAIL = "email"


class Segment(StrEnum):
    ENTERPRISE = "enterprise"
    MID_MARKET = "mid-market"
    SMB = "smb"


class Health(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


class CaseReview(StrEnum):
    CSM = "csm"  # NPS detractor (or a health case): the account's CSM follows up
    SUPPORT = "support"  # low CSAT / CES: the support manager reviews


# The kind of a case opened by an account's health sliding, not by an answer (the others'
# kind is the answer's SurveyKind).
HEALTH_CASE = "health"


class InsightSource(StrEnum):
    CALL = "call"
    QBR = "qbr"
    SUPPORT_TICKET = "support ticket"
    SALES = "sales"
    INTERVIEW = "interview"
    EMAIL = "email"
    SOCIAL = "social"
    SURVEY = "survey"
    OTHER = "other"


class InsightType(StrEnum):
    BUG = "bug"
    FEATURE_REQUEST = "feature request"
    SERVICE_ISSUE = "service issue"
    DOCS_GAP = "docs gap"
    PRICING = "pricing"
    COMPETITOR = "competitor"
    PRAISE = "praise"
    OTHER = "other"


class Sentiment(StrEnum):
    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"


class Theme(StrEnum):
    """The theme taxonomy; `bot.domain.themes` tags text with these by keyword rules."""

    PRODUCT_BUG = "product bug"
    MISSING_FEATURE = "missing feature"
    USABILITY = "usability"
    PERFORMANCE = "performance"
    SLOW_SUPPORT = "slow support"
    UNHELPFUL_SUPPORT = "unhelpful support"
    ONBOARDING = "onboarding"
    DOCUMENTATION = "documentation"
    PRICING = "pricing"
    COMPETITOR = "competitor"
    INTEGRATIONS = "integrations"
    PRAISE = "praise"


class RequestStatus(StrEnum):
    """Where a feature request or a theme stands (`/voc request ID STATE`, `/voc theme …`)."""

    NEW = "new"
    UNDER_REVIEW = "under review"
    PLANNED = "planned"
    IN_PROGRESS = "in progress"
    SHIPPED = "shipped"  # for a theme: fixed
    DECLINED = "declined"
    KNOWN_ISSUE = "known issue"
    OPEN = "new"  # the former name of NEW (migration 0020 renamed the stored "open")


# `ThemeTag.set_by` of a theme the respondent chose in the survey itself (never a user id).
SET_BY_RESPONDENT = "respondent"


class NoticeKind(StrEnum):
    """What a request notice tells or asks its person."""

    SHIPPED = "shipped"  # "it's live"
    PLANNED = "planned"  # "it's planned"
    ASKED = "asked"  # a week after shipping: "did it solve what you needed?"
    UNDER_REVIEW = "review"  # the other states a request can move to (bot/services/triage.py)
    IN_PROGRESS = "progress"
    DECLINED = "declined"
    KNOWN_ISSUE = "known"
    NEW = "new"
    ROLLUP = "rollup"  # the monthly "you said, we did" customers opted in to


class SolvedAnswer(StrEnum):
    YES = "yes"
    NOT_QUITE = "not_quite"


class AutopilotStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    STOPPED = "stopped"
