"""serve / socket / worker check the token and #voc with Slack before they start."""

from __future__ import annotations

import logging

import pytest

from blocks import terminal
from bot.core.runtime import Runtime
from bot.devkit.emulator import SlackEmulator
from bot.domain.errors import ConfigError
from bot.services.startup import check_slack


@pytest.fixture(autouse=True)
def _warnings_shown(caplog: pytest.LogCaptureFixture) -> None:
    # another test (the demo) may have quieted the "bot" loggers for the whole process
    caplog.set_level(logging.WARNING, logger="bot.services.startup")


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


async def test_the_token_names_workspace_and_bot_and_a_voc_channel_with_the_bot_is_quiet(
    rt: Runtime, emulator: SlackEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.add_channel("CVOC", ["U1"])
    identity = await check_slack(rt)
    assert (
        terminal.connected(identity.team, identity.bot_name)
        == "Connected to Slack workspace Acme as @vocbot."
    )
    assert _warnings(caplog) == []


async def test_a_voc_channel_without_the_bot_is_a_warning(
    rt: Runtime, emulator: SlackEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.add_channel("CVOC", ["U1"], bot_member=False)
    await check_slack(rt)
    assert any("not in VOC_CHANNEL" in w for w in _warnings(caplog))


async def test_an_unset_voc_channel_is_a_warning(
    rt: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    rt.settings.voc_channel = None
    await check_slack(rt)
    assert any("VOC_CHANNEL is not set" in w for w in _warnings(caplog))


async def test_a_refused_token_is_a_config_error(rt: Runtime, emulator: SlackEmulator) -> None:
    emulator.fail("auth.test", error="invalid_auth")
    with pytest.raises(ConfigError, match="^SLACK_BOT_TOKEN was refused by Slack"):
        await check_slack(rt)
