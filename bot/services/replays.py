"""A replayed, identically signed `/voc` request is handled once, across processes."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from bot.core.runtime import Runtime
from storage import replays

# Bolt refuses a request whose timestamp is older than this, so keys need keeping no longer.
REPLAY_WINDOW = timedelta(minutes=5)


def request_key(timestamp: str, signature: str) -> str:
    """The request's key: Slack's signature covers its timestamp and body."""
    return hashlib.sha256(f"{timestamp}:{signature}".encode()).hexdigest()


async def first_time(rt: Runtime, timestamp: str, signature: str, now: datetime) -> bool:
    """True the first time this signed request is seen; False for a replay."""
    if not timestamp or not signature:  # Socket Mode: no signature, and no replay
        return True
    async with rt.db.transaction() as session:
        await replays.forget_before(session=session, before=now - 2 * REPLAY_WINDOW)
        return await replays.first_sighting(
            session=session, key=request_key(timestamp, signature), now=now
        )
