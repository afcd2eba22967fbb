"""Payload factories for the tests: the same ones the demo uses, from `bot.devkit.payloads`."""

from bot.devkit.payloads import (
    TEAM,
    app_home_opened,
    block_action,
    block_suggestion,
    event_callback,
    form_body,
    interactive_body,
    select_action,
    signed_headers,
    signed_json_headers,
    slash_command,
    view_submission,
)

__all__ = [
    "TEAM",
    "app_home_opened",
    "block_action",
    "block_suggestion",
    "event_callback",
    "form_body",
    "interactive_body",
    "select_action",
    "signed_headers",
    "signed_json_headers",
    "slash_command",
    "view_submission",
]
