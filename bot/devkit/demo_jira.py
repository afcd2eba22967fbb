"""The demo's Jira step: a CSM pushes the most-asked open request to a local Jira, the
product team moves the issue to Done there, and everyone who asked hears it's live."""

from __future__ import annotations

import json
from typing import Any, Protocol

from pydantic import SecretStr

from bot.core.runtime import Runtime
from bot.devkit import jira_emulator
from bot.devkit.clock import FakeClock
from bot.devkit.jira_emulator import JiraEmulator


class Demo(Protocol):
    """What this step uses of the demo (bot/devkit/demo.py's Demo, which calls it)."""

    transcript: Any
    clock: FakeClock
    url: str

    @property
    def runtime(self) -> Runtime: ...

    async def command(self, user: str, text: str) -> None: ...


REQUEST = "Google Classroom"
WEBHOOK_SECRET = "demo-jira-webhook-secret"


async def jira_round_trip(demo: Demo, *, csm: str) -> None:
    """`/voc request push ID` → one issue in Jira; Jira's Done, by signed webhook → shipped."""
    t, settings = demo.transcript, demo.runtime.settings
    async with JiraEmulator(clock=demo.clock) as jira:
        settings.jira_url = jira.url
        settings.jira_email = jira_emulator.EMAIL
        settings.jira_token = SecretStr(jira_emulator.TOKEN)
        settings.jira_project = jira_emulator.PROJECT
        settings.jira_webhook_secret = SecretStr(WEBHOOK_SECRET)
        t.step("8b · Jira: a request goes to the product team's tracker, and ships from there")
        request_id = await _request_id(demo)
        t.new_calls()
        await demo.command(csm, f"request push {request_id}")
        t.show([c for c in t.new_calls() if c.method == "response_url"][-1], to=t.name(csm))
        [issue] = jira.issues.values()
        t.say(f"\n  In Jira, {issue.key} “{issue.fields['summary']}” reads:")
        for line in _adf_lines(issue.fields["description"]):
            t.say(f"    {line}")
        jira.move(issue.key, "Done")
        hooks = demo.url.removesuffix("/slack/events") + "/hooks/jira"
        status = await jira.send_webhook(hooks, issue.key, WEBHOOK_SECRET)
        t.say(f"\n  The product team moves {issue.key} to Done; Jira's webhook → HTTP {status}.")
        dms = [c for c in t.new_calls() if c.method == "chat.postMessage"]
        t.say(f"  {len(dms)} DMs went out to everyone who asked. One of them:")
        if dms:
            t.show(dms[0])
        settings.jira_url = None  # the rest of the demo runs without Jira


async def _request_id(demo: Demo) -> int:
    from sqlalchemy import select

    from storage.models import FeatureRequest

    async with demo.runtime.db.session() as session:
        found = await session.execute(
            select(FeatureRequest.id).where(FeatureRequest.name == REQUEST)
        )
        return int(found.scalar_one())


def _adf_lines(doc: dict[str, object]) -> list[str]:
    """The issue's description as plain lines, the way Jira would show it."""
    lines: list[str] = []

    def walk(node: object, prefix: str = "") -> None:
        if not isinstance(node, dict):
            return
        kind = node.get("type")
        if kind in {"paragraph", "heading"}:
            text = "".join(str(c.get("text", "")) for c in node.get("content", []))
            lines.append(prefix + text)
            return
        for child in node.get("content", []):
            walk(child, "• " if kind == "listItem" else prefix)

    walk(doc)
    return [line for line in lines if line] or [json.dumps(doc)[:200]]
