"""The manifest grants what the digest and the App Home call."""

from __future__ import annotations

import json
from pathlib import Path

MANIFEST = Path(__file__).resolve().parents[1] / "manifest.json"


def test_home_tab_event_and_scopes_for_the_digest() -> None:
    manifest = json.loads(MANIFEST.read_text())
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert "app_home_opened" in manifest["settings"]["event_subscriptions"]["bot_events"]
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    # files_upload_v2 for the chart; conversations.history to find a digest a dead poster sent
    assert {"files:write", "chat:write", "channels:history", "groups:history"} <= scopes
