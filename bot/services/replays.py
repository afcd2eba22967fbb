"""A replayed request is handled once, across processes: `/voc` commands and view submissions.

A `/voc` request is known by its signature (Slack signs its timestamp and body), so only an
identical copy counts as a replay. A view submission is known by what it submits: the same
modal (Slack gives each opened modal its own `view.id`, and a new `view.hash` whenever it
changes) submitted by the same person with the same values. That catches an identical
copy, the same payload signed again, a Socket Mode redelivery, and a second Submit after
Slack lost the first ack; each of these is acked and dropped. A submission answered with
validation errors is forgotten (`forget`), so submitting it again shows the errors again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from bot.core.runtime import Runtime
from storage import replays

# Bolt refuses a request whose timestamp is older than this, so keys need keeping no longer.
REPLAY_WINDOW = timedelta(minutes=5)


def request_key(timestamp: str, signature: str) -> str:
    """The request's key: Slack's signature covers its timestamp and body."""
    return hashlib.sha256(f"{timestamp}:{signature}".encode()).hexdigest()


def submission_key(payload: Mapping[str, Any]) -> str:
    """A view submission's key: who submitted which state of which modal, with what values."""
    view = payload.get("view") or {}
    user = payload.get("user") or {}
    team = payload.get("team") or {}
    identity = {
        "team": team.get("id") if isinstance(team, Mapping) else None,
        "user": user.get("id") if isinstance(user, Mapping) else None,
        "view": [view.get(name) for name in ("id", "hash", "callback_id", "private_metadata")],
        "values": (view.get("state") or {}).get("values"),
    }
    text = json.dumps(identity, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"view:{text}".encode()).hexdigest()


async def first_time(rt: Runtime, timestamp: str, signature: str, now: datetime) -> bool:
    """True the first time this signed request is seen; False for a replay."""
    if not timestamp or not signature:  # Socket Mode: no signature, and no replay
        return True
    return await first_sighting(rt, request_key(timestamp, signature), now)


async def first_sighting(rt: Runtime, key: str, now: datetime) -> bool:
    """True the first time `key` is seen (in any process); False for a replay."""
    async with rt.db.transaction() as session:
        await replays.forget_before(session=session, before=now - 2 * REPLAY_WINDOW)
        return await replays.first_sighting(session=session, key=key, now=now)


async def forget(rt: Runtime, key: str) -> None:
    """Let `key` be handled again (its first answer was a validation error: nothing done)."""
    async with rt.db.transaction() as session:
        await replays.forget(session=session, key=key)
