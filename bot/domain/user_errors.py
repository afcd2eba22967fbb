"""The errors services raise, each carrying its facts; the words are the message catalog's.

Each class names a catalog key (blocks/catalog.py, English and Malay); `str()` is the
English sentence the CLI prints, `told(locale)` the one a Slack edge shows in the person's
language (bot/domain/errors.py). Facts that are shown are passed already shortened.
"""

from __future__ import annotations

from bot.domain.errors import (
    ConfigError,
    CrmSetupError,
    SlackConfigError,
    TryLater,
    UnknownContact,
    UserError,
)

# --- accounts, contacts and feature requests --------------------------------------------


class NoSuchAccount(UserError):
    """`/voc account NAME` or a one-liner named no account; `near` suggests some."""

    key = "error.no_account"

    def __init__(self, *, shown: str, near: list[str]) -> None:
        super().__init__(shown=shown, near=", ".join(near))
        self.key = "error.no_account.near" if near else "error.no_account"


class SeveralAccounts(UserError):
    key = "error.several_accounts"

    def __init__(self, *, shown: str, names: list[str], more: int) -> None:
        super().__init__(shown=shown, names=", ".join(names), more=more)
        self.key = "error.several_accounts.more" if more else "error.several_accounts"


class AccountGone(UserError):
    key = "error.account_gone"


class InsightGone(UserError):
    key = "error.insight_gone"


class NotATheme(UserError):
    key = "error.not_a_theme"

    def __init__(self, unknown: list[str]) -> None:
        super().__init__(unknown=", ".join(unknown))


class FeatureUnnamed(UserError):
    key = "error.feature_unnamed"


class SpeakerNotAnEmail(UserError):
    key = "error.speaker_not_email"


class NoSpeakerWithEmail(UserError):
    key = "error.no_speaker_with_email"


class NoContactWithEmail(UserError):
    key = "error.no_contact_with_email"


class NotAnEmail(UserError):
    key = "error.not_an_email"


class NoContactsInAccount(UserError):
    key = "error.no_contacts_in_account"

    def __init__(self, *, account: str, names: list[str]) -> None:
        super().__init__(account=account, names=", ".join(names))
        self.key = "error.no_contacts_in_account" if names else "error.no_contacts_in_account.none"


class UnknownCrmFields(CrmSetupError):
    """A CRM_FIELD_* setting (or its default) names a company field the CRM does not have:
    the sync stops before it reads a page."""

    key = "error.crm_unknown_fields"


class SyncRunning(UserError):
    """Another CRM sync holds the lease (a worker, or `crm sync` elsewhere): nothing done."""

    key = "error.crm_sync_running"


class NoContacts(UserError):
    """No contact matched a send's audience; `email` or `segment` says which (or neither)."""

    key = "error.no_contacts"

    def __init__(self, *, email: str | None = None, segment: str | None = None) -> None:
        if email:
            super().__init__(email=email)
            self.key = "error.no_contacts.email"
        elif segment:
            super().__init__(segment=segment)
            self.key = "error.no_contacts.segment"
        else:
            super().__init__()


class AccountUnnamed(UserError):
    key = "error.account_unnamed"


# --- follow-up cases ---------------------------------------------------------------------


class CaseGone(UserError):
    key = "error.case_gone"


class BadFollowUp(UserError):
    """A follow-up log the form's rules refuse; `problems` as bot/domain/outcomes.py says them."""

    key = "error.bad_follow_up"

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems=" ".join(problems))
        self.problems = problems


# --- shipping ----------------------------------------------------------------------------


class FeatureUnsaid(UserError):
    key = "error.feature_unsaid"


class NoSuchRequest(UserError):
    key = "error.no_request"


class SeveralRequests(UserError):
    key = "error.several_requests"

    def __init__(self, *, shown: str, names: list[str]) -> None:
        super().__init__(shown=shown, names=", ".join(names))


class AlreadyShipped(UserError):
    key = "error.already_shipped"


class JiraOff(UserError):
    """`/voc request push` while JIRA_* is not set."""

    key = "error.jira_off"


class RequestPushUsage(UserError):
    key = "error.request_push_usage"


class NotAButton(UserError):
    key = "error.not_a_button"


class NotALink(UserError):
    """`/voc ship FEATURE LINK` with a last word that is no http(s) address."""

    key = "error.not_a_link"

    def __init__(self, link: str) -> None:
        super().__init__(shown=_shown(link))
        self.link = link


# --- operations: digest, export, webhooks, events ----------------------------------------


class NoDigestChannel(UserError):
    key = "error.no_digest_channel"


class NoReportChannel(UserError):
    key = "error.no_report_channel"


class UnknownExportFormat(UserError):
    key = "error.export_format"

    def __init__(self, format: str) -> None:
        super().__init__(format=repr(format))


class NoDeadLetter(UserError):
    key = "error.no_dead_letter"


class NoCrmDeadLetter(UserError):
    """`crm retry ID` names no CRM push given up on."""

    key = "error.no_crm_dead_letter"


class NoContactForEvent(UnknownContact):
    """An event names an email no imported contact has."""

    key = "error.event_no_contact"


class NoAccountForEvent(UnknownContact):
    """An event names an account (CRM id or name) no import has made; `reference` as given."""

    key = "error.event_no_account"

    def __init__(self, reference: str) -> None:
        super().__init__(reference=repr(reference))


class BotRefused(SlackConfigError):
    """Slack refused the bot's token or scopes while looking people up (`code`)."""

    key = "error.bot_refused"


class TokenRefused(ConfigError):
    """`auth.test` refused SLACK_BOT_TOKEN at start (`code`)."""

    key = "error.token_refused"


class SlackUnreachable(TryLater):
    """An event's contact could not be resolved: Slack was unreachable (`cause`)."""

    key = "error.slack_unreachable"


class SlackRefusedForNow(TryLater):
    """An event's contact could not be resolved: a transient Slack error (`reason`)."""

    key = "error.slack_transient"


class SlackDidNotSay(TryLater):
    """`auth.test` or `users.info` did not answer; `who` is "us" or "them"."""

    key = "error.slack_who.us"

    def __init__(self, *, who: str) -> None:
        super().__init__()
        self.key = f"error.slack_who.{who}"


def _shown(typed: str, limit: int = 80) -> str:
    """What a person typed, as an error quotes it in Slack: cut to `limit` characters and
    with mrkdwn's control characters escaped (blocks/text.py's rule; the domain imports
    nothing of the project above it)."""
    cut = typed if len(typed) <= limit else typed[: limit - 1].rstrip() + "…"
    return cut.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- triage (bot/services/triage.py) -----------------------------------------------------


class NoSuchRequestId(UserError):
    """`/voc request ID …` named a number no request has."""

    key = "error.no_request_id"
