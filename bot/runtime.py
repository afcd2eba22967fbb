"""What every service needs, built once per process and passed in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.slack import Pacer, make_client
from storage.db import Database

# chat.postMessage to distinct DMs: stay well under the workspace-wide cap.
SURVEY_SENDS_PER_SECOND = 20.0


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    slack: AsyncWebClient
    clock: Callable[[], datetime] = utcnow
    pacer: Pacer = field(default_factory=lambda: Pacer(SURVEY_SENDS_PER_SECOND, burst=5))

    def now(self) -> datetime:
        return self.clock()

    async def close(self) -> None:
        await self.db.dispose()


def build_runtime(settings: Settings, *, clock: Callable[[], datetime] = utcnow) -> Runtime:
    """The runtime for a process: one database, one Slack client."""
    return Runtime(
        settings=settings,
        db=Database(settings.database_url),
        slack=make_client(settings.slack_bot_token, settings.slack_api_url),
        clock=clock,
    )
