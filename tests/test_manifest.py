"""manifest.json must grant exactly what the code uses: scopes, slash commands, events."""

from __future__ import annotations

import ast
import json
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("bot", "handlers", "blocks", "storage")
NOT_THE_APP = {"bot/devkit/emulator.py"}  # the local stand-in for Slack, never talks to Slack

# The bot scope each Web API method needs (https://api.slack.com/methods). A method missing
# here fails the test: look its scope up and add it, so the manifest stays honest.
METHOD_SCOPES: dict[str, set[str]] = {
    "chat.postMessage": {"chat:write"},
    "chat.postEphemeral": {"chat:write"},
    "chat.update": {"chat:write"},
    "chat.delete": {"chat:write"},
    # The #voc card's link in a CRM note (bot/services/crm_push.py); Slack asks no scope.
    "chat.getPermalink": set(),
    "conversations.open": {"im:write"},
    # Read in the bot's DMs (an interrupted survey send) and in the digest channel, which
    # may be public or private (an interrupted digest post).
    "conversations.history": {"im:history", "channels:history", "groups:history"},
    # The members of an account's Slack Connect channel, public or private.
    "conversations.members": {"channels:read", "groups:read"},
    "users.info": {"users:read"},
    # Members and guests in bulk, with their emails (bot/services/reach.py).
    "users.list": {"users:read", "users:read.email"},
    "users.lookupByEmail": {"users:read", "users:read.email"},
    "views.open": set(),
    "views.update": set(),
    "views.push": set(),
    "views.publish": set(),
    "files.getUploadURLExternal": {"files:write"},
    "files.completeUploadExternal": {"files:write"},
    "auth.test": set(),
}
# slack-sdk helpers that call several methods.
COMPOSITE = {"files.upload.v2": ["files.getUploadURLExternal", "files.completeUploadExternal"]}
API_FAMILIES = ("chat", "conversations", "users", "views", "files", "auth", "reactions")


def _python_files() -> list[Path]:
    found = []
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if (
                path.relative_to(ROOT).as_posix() not in NOT_THE_APP
                and "migrations" not in path.parts
            ):
                found.append(path)
    return found


@cache
def _calls() -> list[tuple[str, ast.Call]]:
    calls = []
    for path in _python_files():
        tree = ast.parse(path.read_text(), filename=str(path))
        calls += [(path.name, node) for node in ast.walk(tree) if isinstance(node, ast.Call)]
    return calls


def _methods_called() -> set[str]:
    """Web API methods the code calls through AsyncWebClient, e.g. `chat_postMessage`."""
    methods: set[str] = set()
    for _, call in _calls():
        func = call.func
        if not isinstance(func, ast.Attribute):
            continue
        family, _, rest = func.attr.partition("_")
        if family in API_FAMILIES and rest:
            method = f"{family}.{rest.replace('_', '.')}"
            methods.update(COMPOSITE.get(method, [method]))
        if func.attr == "api_call" and call.args and isinstance(call.args[0], ast.Constant):
            methods.add(str(call.args[0].value))
    return methods


def _registered(kind: str) -> set[str]:
    """Literal names passed to Bolt's `app.command(...)` or `app.event(...)`."""
    names = set()
    for _, call in _calls():
        func = call.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr == kind
            and isinstance(func.value, ast.Name)
            and func.value.id == "app"
            and call.args
            and isinstance(call.args[0], ast.Constant)
        ):
            names.add(str(call.args[0].value))
    return names


def _manifest() -> dict:
    return json.loads((ROOT / "manifest.json").read_text())


def test_the_scan_sees_the_calls_the_app_is_known_to_make() -> None:
    # Guards the scanner itself: if it found nothing, every other check would pass vacuously.
    assert {"chat.postMessage", "conversations.open", "users.lookupByEmail"} <= _methods_called()


def test_every_method_called_has_a_known_scope() -> None:
    unknown = _methods_called() - METHOD_SCOPES.keys()
    assert not unknown, f"add these methods and their scopes to METHOD_SCOPES: {sorted(unknown)}"


def test_manifest_scopes_are_exactly_what_the_code_needs() -> None:
    needed = set().union(*(METHOD_SCOPES.get(m, set()) for m in _methods_called()))
    if _registered("command"):
        needed.add("commands")
    declared = set(_manifest()["oauth_config"]["scopes"]["bot"])
    assert not needed - declared, f"manifest.json lacks scopes {sorted(needed - declared)}"
    assert not declared - needed, (
        f"manifest.json asks for unused scopes {sorted(declared - needed)}"
    )


def test_every_slash_command_is_declared_and_every_declared_one_is_handled() -> None:
    declared = {c["command"] for c in _manifest()["features"].get("slash_commands", [])}
    assert _registered("command") == declared


def test_every_event_listened_to_is_subscribed() -> None:
    settings = _manifest()["settings"]
    subscribed = set(settings.get("event_subscriptions", {}).get("bot_events", []))
    assert _registered("event") == subscribed
    if "app_home_opened" in subscribed:
        assert _manifest()["features"]["app_home"]["home_tab_enabled"] is True


def test_every_request_url_is_the_one_bolt_endpoint() -> None:
    manifest = _manifest()
    urls = [manifest["settings"]["interactivity"]["request_url"]]
    urls += [c["url"] for c in manifest["features"].get("slash_commands", [])]
    if "event_subscriptions" in manifest["settings"]:
        urls.append(manifest["settings"]["event_subscriptions"]["request_url"])
    assert all(url.endswith("/slack/events") for url in urls)
