from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.app import build_web_app
from bot.core.config import Settings
from bot.core.runtime import Runtime, build_runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from storage.db import Database
from tests.harness import (
    BOT_TOKEN,
    SIGNING_SECRET,
    TEST_SEND_BURST,
    TEST_SENDS_PER_SECOND,
    Served,
    SlackSender,
    serve,
)

# Customer-team members who are neither admins nor any account's CSM (bot/domain/roles.py).
STAFF = ["UA", "UB", "UOWNER", "ULOG", "UOTHER"]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def emulator(clock: FakeClock) -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator(clock=clock) as running:  # message ts follow the injected clock
        yield running


@pytest.fixture
def settings(emulator: SlackEmulator, database_url: str) -> Settings:
    return Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=emulator.api_url,
        database_url=database_url,
        voc_channel="CVOC",
        voc_staff=STAFF,
    )


@pytest.fixture
async def rt(settings: Settings, db: Database, clock: FakeClock) -> AsyncIterator[Runtime]:
    yield build_runtime(
        settings,
        db=db,
        clock=clock,
        sends_per_second=TEST_SENDS_PER_SECOND,
        send_burst=TEST_SEND_BURST,
        lost_answer_recheck=timedelta(milliseconds=50),
    )


@pytest.fixture
async def app_url(rt: Runtime) -> AsyncIterator[str]:
    served: Served = await serve(build_web_app(rt, scheduler=False))
    yield served.url
    await served.stop()


@pytest.fixture
async def slack(app_url: str) -> AsyncIterator[SlackSender]:
    sender = SlackSender(app_url)
    yield sender
    await sender.close()
