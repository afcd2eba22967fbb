"""Socket Mode: the same app over the emulator's websocket, with no public URL."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import SecretStr
from slack_sdk.errors import SlackApiError
from sqlalchemy import func, select

from bot.core.config import Settings
from bot.core.runtime import build_runtime
from bot.devkit.emulator import SlackEmulator
from bot.scheduler import drain
from bot.services.surveys import start_relationship_campaign
from bot.socket_mode import run_socket_mode
from storage.db import Database
from storage.models import Invitation, Response
from tests.harness import TEST_SEND_BURST, TEST_SENDS_PER_SECOND, eventually
from tests.payloads import block_action
from tests.seed import Person, add_people


async def test_a_tap_over_socket_mode_is_acked_and_recorded(
    emulator: SlackEmulator, settings: Settings, db: Database
) -> None:
    settings = settings.model_copy(update={"slack_app_token": SecretStr("xapp-1-test")})
    rt = build_runtime(
        settings, db=db, sends_per_second=TEST_SENDS_PER_SECOND, send_burst=TEST_SEND_BURST
    )
    emulator.add_user("U1", email="ana@acme.test")
    await add_people(db, Person("ana@acme.test"))
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    await drain(rt)
    async with db.session() as session:
        invitation = (await session.execute(select(Invitation))).scalar_one()

    stop = asyncio.Event()
    running = asyncio.create_task(run_socket_mode(rt, scheduler=False, stop=stop))
    tap = block_action(
        user="U1",
        action_id="survey.rate.9",
        value=f"{invitation.id}:9",
        channel=invitation.dm_channel or "",
        message_ts=invitation.message_ts or "",
        response_url=emulator.new_response_url(),
    )
    envelope = await emulator.socket_mode.send("interactive", tap)
    assert await emulator.socket_mode.ack(envelope) is None  # acked at once, empty

    async def responses() -> int:
        async with db.session() as session:
            return int(await session.scalar(select(func.count()).select_from(Response)) or 0)

    assert await eventually(responses) == 1
    stop.set()
    await asyncio.wait_for(running, timeout=15)
    assert emulator.calls_to("apps.connections.open", ok=True)
    assert not emulator.socket_mode.connections  # the app hung up when told to stop


async def test_a_bot_token_cannot_open_a_socket(settings: Settings) -> None:
    client = build_runtime(settings).slack
    with pytest.raises(SlackApiError) as refused:
        await client.apps_connections_open(app_token="xoxb-test-token")
    assert refused.value.response["error"] == "invalid_auth"
