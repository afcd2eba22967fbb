"""The one error hierarchy of the bot; each edge (Slack, HTTP, CLI) turns these into answers.

    VocError
    ├── UserError          the person can fix it: the message says what to type instead
    │   └── UnknownContact an event names an email no imported contact has
    ├── TryLater           transient: Slack or the database was unreachable; nothing stored
    ├── SlackConfigError   the workspace or app setup is wrong; an admin must fix it
    ├── SlackError         a Slack Web API call refused, with Slack's `code`
    │                      (bot/core/slack_errors.py: the edge where the SDK's error is mapped)
    └── ConfigError        a setting is missing or malformed; the operator must fix it

Anything else escaping a listener is a bug or an outage; the Bolt error handler
(`handlers/slack/errors.py`) tells the person that nothing was saved and logs the cause.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

# The message catalog (blocks/catalog.py) registers itself here when imported: a domain
# error names a catalog key and carries its facts; the words live in the catalog only.
Words = Callable[[str | None, str, Mapping[str, object]], str]
_words: list[Words] = []


def use_words(words: Words) -> None:
    """Register the catalog that turns an error's key and facts into a sentence."""
    _words[:] = [words]


class VocError(Exception):
    """Base of every error the bot raises on purpose; its message is safe to show.

    Catch this only at an edge that answers every kind the same way (e.g. the CLI's one
    line on stderr); elsewhere catch the subclass whose answer you give.

    A subclass that sets `key` is told by the message catalog: construct it with its facts
    (`NoContactWithEmail(address=...)`); `str()` is the English sentence (the CLI's),
    `told(locale)` the sentence in the person's language (Slack's edge).
    """

    key: str = ""  # a catalog key; a subclass may choose a variant per instance

    def __init__(self, *args: object, **facts: object) -> None:
        self.facts: dict[str, object] = facts
        super().__init__(*args)

    def told(self, locale: str | None = None) -> str:
        """The message in `locale`'s language (English when None)."""
        if self.key and _words:
            return _words[0](locale, self.key, self.facts)
        return super().__str__() or self.key

    def __str__(self) -> str:
        return self.told()


class UserError(VocError):
    """Something the person typed or chose is wrong; the message says what to do instead.

    Slack answers it as an ephemeral note (or next to the form field), the CLI as one
    `error:` line with exit status 1, `POST /hooks/events` as a 4xx with the message.
    """


class UnknownContact(UserError):
    """An event names an email no imported contact has; nothing was stored.

    `POST /hooks/events` answers 404 with the message: import the contact first.
    """


class TryLater(VocError):
    """A transient failure (Slack or the database unreachable); nothing was stored.

    The same request may succeed later: `POST /hooks/events` answers 503 with the message,
    `/voc` shows it as a note, the CLI prints it and exits 1.
    """


class SlackConfigError(VocError):
    """Slack refused the bot itself (bad token, missing scope, bot not in the channel).

    Every further call would fail the same way, so work stops (delivery pauses) and the
    message names what an admin must fix; `/voc` shows it as a note, the CLI prints it.
    """


class ConfigError(VocError):
    """A setting is missing or malformed; the message is one line for the operator.

    Raised while settings load (`bot/core/config.py`); the CLI prints it and exits 2.
    """


class CrmSetupError(ConfigError):
    """The CRM refuses the connection as configured: a bad token or client secret, a wrong
    URL, a missing scope or permission, a field it does not know.

    Every further call would fail the same way: the CLI prints the one line (which names the
    setting to fix and never the secret) and exits 2; a scheduled sync or push logs it and
    leaves its rows due. Raised by `bot/connectors/`.
    """


class CrmUnavailable(TryLater):
    """The CRM kept answering 429 or 5xx (or did not answer) after the retries a call allows.

    Nothing was half-written: a sync keeps its cursor where the last whole page left it, a
    push event stays due.
    """


class CrmRecordRefused(VocError):
    """The CRM refused one record's write for its values (an option its dropdown lacks, a
    text too long for the field, a validation rule), not for the connection or a field it
    does not know.

    Only that write fails: the push retries its event with backoff (an admin may widen the
    field meanwhile) until it becomes a dead letter for `crm status` and `crm retry`, and
    every other event goes on. The message names the field and the CRM's reason, never a
    value. Raised by `bot/connectors/`.
    """


class CrmAllowanceSpent(VocError):
    """Salesforce's daily API allowance is nearly spent; the sync stops before it runs out,
    keeping what it has written and its cursor, so the next run goes on from there."""
