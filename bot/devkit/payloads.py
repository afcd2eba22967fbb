"""Requests shaped and signed the way Slack sends them; the demo and the tests drive the app
through `POST /slack/events` with these (the shapes Slack's Events API and interactivity send)."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

TEAM = {"id": "T0001", "domain": "acme"}
_triggers = itertools.count(1)


def block_action(
    *,
    user: str,
    action_id: str,
    value: str,
    channel: str,
    message_ts: str,
    response_url: str,
    block_id: str = "survey.rating",
    locale: str | None = None,
    user_team: str | None = None,
) -> dict[str, Any]:
    """A `block_actions` payload for a button tapped in a message.

    Args:
        user_team: the tapper's team when it is another organisation (Slack Connect).
    """
    user_info: dict[str, Any] = {
        "id": user,
        "username": user.lower(),
        "team_id": user_team or TEAM["id"],
    }
    if locale:
        user_info["locale"] = locale
    return {
        "type": "block_actions",
        "user": user_info,
        "api_app_id": "A0001",
        "token": "legacy-verification-token",
        "team": TEAM,
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": f"{next(_triggers)}.1.trigger",
        "channel": {"id": channel, "name": "directmessage"},
        "message": {"type": "message", "ts": message_ts, "text": "survey", "blocks": []},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": block_id,
                "value": value,
                "text": {"type": "plain_text", "text": value},
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def select_action(
    *,
    user: str,
    action_id: str,
    block_id: str,
    selected: str,
    channel: str,
    message_ts: str,
    response_url: str,
) -> dict[str, Any]:
    """A `block_actions` payload for an option chosen in a message's static select menu."""
    payload = block_action(
        user=user,
        action_id=action_id,
        value=selected,
        channel=channel,
        message_ts=message_ts,
        response_url=response_url,
        block_id=block_id,
    )
    payload["actions"] = [
        {
            "type": "static_select",
            "action_id": action_id,
            "block_id": block_id,
            "selected_option": {
                "text": {"type": "plain_text", "text": selected},
                "value": selected,
            },
            "action_ts": f"{time.time():.6f}",
        }
    ]
    return payload


def view_submission(
    *, user: str, callback_id: str, private_metadata: str, values: dict[str, Any]
) -> dict[str, Any]:
    """A `view_submission` payload; `values` is `state.values` (block_id → action_id → …)."""
    return {
        "type": "view_submission",
        "team": TEAM,
        "user": {"id": user, "username": user.lower(), "team_id": TEAM["id"]},
        "api_app_id": "A0001",
        "token": "legacy-verification-token",
        "trigger_id": f"{next(_triggers)}.1.trigger",
        "view": {
            "id": "V0001",
            "team_id": TEAM["id"],
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": values},
            "hash": "1.abc",
            "title": {"type": "plain_text", "text": "Tell us why"},
            "blocks": [],
        },
        "response_urls": [],
    }


def slash_command(
    *, user: str, text: str, response_url: str, channel: str = "C0GENERAL", command: str = "/voc"
) -> dict[str, str]:
    """The form fields of a slash command (in a DM `channel` is a `D…` id)."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM["id"],
        "team_domain": TEAM["domain"],
        "channel_id": channel,
        "channel_name": "directmessage" if channel.startswith("D") else "general",
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text,
        "api_app_id": "A0001",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"{next(_triggers)}.1.trigger",
    }


def block_suggestion(*, user: str, action_id: str, block_id: str, value: str) -> dict[str, Any]:
    """A `block_suggestion` payload: what someone typed into an external select."""
    return {
        "type": "block_suggestion",
        "user": {"id": user, "username": user.lower(), "team_id": TEAM["id"]},
        "team": TEAM,
        "api_app_id": "A0001",
        "token": "legacy-verification-token",
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
        "container": {"type": "view", "view_id": "V0001"},
        "view": {"id": "V0001", "type": "modal", "callback_id": "voc.log"},
    }


def event_callback(event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    """The Events API envelope (`type: event_callback`) around one event."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM["id"],
        "api_app_id": "A0001",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_triggers):08d}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "team_id": TEAM["id"],
                "user_id": "UBOT",
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
    }


def app_home_opened(*, user: str, tab: str = "home") -> dict[str, Any]:
    """Someone opened the app's Home tab (or its Messages tab)."""
    return event_callback(
        {
            "type": "app_home_opened",
            "user": user,
            "channel": "D0HOME",
            "tab": tab,
            "event_ts": f"{time.time():.6f}",
        }
    )


def form_body(fields: dict[str, str]) -> str:
    return urlencode(fields)


def interactive_body(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def signed_headers(
    secret: str,
    body: str,
    *,
    timestamp: int | None = None,
    content_type: str = "application/x-www-form-urlencoded",
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    assert signature is not None  # None only without a timestamp or a body
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
        "Content-Type": content_type,
    }


def signed_json_headers(secret: str, body: str) -> dict[str, str]:
    """Events API requests are JSON, signed the same way."""
    return signed_headers(secret, body, content_type="application/json")
