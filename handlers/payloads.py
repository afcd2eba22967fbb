"""Slack payloads parsed once, where they arrive, into typed models (shapes: tests/payloads.py)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Origin(BaseModel):
    """Who did what, where, read from any payload; blank where the payload does not say."""

    model_config = ConfigDict(frozen=True)

    kind: str = ""
    listener: str = ""  # the action id, callback id, command or event type
    user: str = ""
    locale: str | None = None
    channel: str | None = None
    response_url: str | None = None


def origin_of(body: dict[str, Any]) -> Origin:
    """The Origin of any body Bolt hands a listener; never raises, whatever the shape."""
    user = _dict(body.get("user"))
    event = _dict(body.get("event"))
    actions = body.get("actions") if isinstance(body.get("actions"), list) else []
    first = _dict(actions[0]) if actions else {}
    listener = (
        first.get("action_id")
        or _dict(body.get("view")).get("callback_id")
        or body.get("command")
        or event.get("type")
        or body.get("action_id")
    )
    channel = (
        _dict(body.get("container")).get("channel_id")
        or _dict(body.get("channel")).get("id")
        or body.get("channel_id")
    )
    return Origin(
        kind=_text(body.get("type")) or ("slash_command" if body.get("command") else ""),
        listener=_text(listener),
        user=_text(user.get("id") or body.get("user_id") or event.get("user")),
        locale=_text(user.get("locale")) or None,
        channel=_text(channel) or None,
        response_url=_text(body.get("response_url")) or None,
    )


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
