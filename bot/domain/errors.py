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


class VocError(Exception):
    """Base of every error the bot raises on purpose; its message is safe to show.

    Catch this only at an edge that answers every kind the same way (e.g. the CLI's one
    line on stderr); elsewhere catch the subclass whose answer you give.
    """


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
