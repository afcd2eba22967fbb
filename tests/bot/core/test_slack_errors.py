"""Slack's refusals reach the product as the project's errors (bot/core/errors.py), mapped
once by the one client (bot/core/slack.py): a service never sees the SDK's error."""

from __future__ import annotations

import pytest

from bot.core.slack import Pacer, make_client
from bot.core.slack_errors import (
    SlackError,
    SlackNotInChannel,
    SlackRecipientError,
    SlackRefusedApp,
    SlackUnavailable,
)
from bot.devkit.emulator import SlackEmulator
from bot.domain.errors import VocError


@pytest.mark.parametrize(
    ("status", "error", "kind", "code"),
    [
        (200, "not_in_channel", SlackNotInChannel, "not_in_channel"),
        (200, "channel_not_found", SlackRecipientError, "channel_not_found"),
        (200, "missing_scope", SlackRefusedApp, "missing_scope"),
        (200, "invalid_blocks", SlackError, "invalid_blocks"),
        (429, None, SlackUnavailable, "ratelimited"),
    ],
)
async def test_a_refused_call_raises_the_projects_error_with_slacks_code(
    status: int, error: str | None, kind: type[SlackError], code: str
) -> None:
    async with SlackEmulator() as emulator:
        emulator.add_channel("C1", ["U1"])
        client = make_client("xoxb-test", emulator.api_url, pacer=Pacer(1000, burst=100))
        client.retry_handlers = client.retry_handlers[:1]  # the first answer, not a retry's
        emulator.fail("chat.postMessage", status=status, error=error)
        with pytest.raises(kind) as refused:
            await client.chat_postMessage(channel="C1", text="hi")
    assert type(refused.value) is kind and isinstance(refused.value, VocError)
    assert refused.value.code == code and refused.value.method == "chat.postMessage"
    assert str(refused.value) == f"Slack refused chat.postMessage: {code}"


async def test_a_call_slack_answers_is_untouched() -> None:
    async with SlackEmulator() as emulator:
        emulator.add_channel("C1", ["U1"])
        client = make_client("xoxb-test", emulator.api_url, pacer=Pacer(1000, burst=100))
        answer = await client.chat_postMessage(channel="C1", text="hi")
    assert answer["ok"] is True
