"""Slack's refusals in the bot's hierarchy: the one place the SDK's error is named.

The one Slack client (`bot/core/slack.py`) raises these in place of `SlackApiError`;
services catch them, never the SDK's (tests/test_layers.py keeps `slack_sdk.errors` inside
`bot/core`). They derive from `VocError` like every error the bot raises on purpose.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackApiError

from bot.domain.errors import VocError


class SlackError(VocError, SlackApiError):
    """Slack answered a Web API call with an error; `code` is Slack's (`not_in_channel`, …)
    or `http_NNN` for an answer that was not JSON.

    Raised by the one Slack client (`bot/core/slack.py`) in place of the SDK's error, as the
    subclass below that fits the code; services catch these, never the SDK's. (It is still a
    `SlackApiError`, so Bolt's own code, which catches that, keeps working.)
    """

    def __init__(self, code: str, method: str, response: Any) -> None:  # the SDK's answer
        SlackApiError.__init__(self, f"Slack refused {method}: {code}", response)
        self.code = code
        self.method = method

    def __str__(self) -> str:
        return f"Slack refused {self.method}: {self.code}"


class SlackRecipientError(SlackError):
    """The person or channel cannot be reached (user_not_found, channel_not_found, …)."""


class SlackNotInChannel(SlackError):
    """The bot is not a member of the channel it posted to or read."""


class SlackRefusedApp(SlackError):
    """Slack refused the app itself (a bad or revoked token, a missing scope)."""


class SlackUnavailable(SlackError):
    """Rate limited, or a Slack-side failure (5xx); the call may succeed later."""
