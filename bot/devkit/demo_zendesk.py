"""The demo's Zendesk step: a ticket solved in a local Zendesk (bot/devkit/zendesk_emulator.py)
sends its signed webhook to the app, the requester gets the CSAT in Slack and taps it, and
the answer lands on the ticket as one private note and a `voc_csat_<score>` tag."""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import SecretStr

from blocks.ids import ActionId
from bot.devkit.zendesk_emulator import EMAIL, TOKEN, ZendeskEmulator
from bot.services.zendesk_push import NOTE_WAIT


class _Demo(Protocol):
    """What the step uses of bot/devkit/demo.py's Demo (which calls it: no import back)."""

    transcript: Any
    clock: Any
    people: list[Any]
    url: str
    emulator: Any

    @property
    def runtime(self) -> Any: ...

    async def run_due(self) -> None: ...

    async def tap(self, user: str, channel: str, message: dict[str, Any], action: str) -> None: ...


SCORE = 4
MINUTES = 170  # solved in under 3 hours


async def zendesk_ticket(demo: _Demo) -> None:
    """A solved Zendesk ticket turns into a CSAT, and the CSAT into a note on the ticket."""
    rt, t = demo.runtime, demo.transcript
    person = next(p for p in demo.people if p.locale.startswith("en"))
    secret = "demo-zendesk-webhook-secret"
    async with ZendeskEmulator(clock=demo.clock) as zd:
        settings = rt.settings
        settings.zendesk_url, settings.zendesk_email = zd.url, EMAIL
        settings.zendesk_token = SecretStr(TOKEN)
        settings.zendesk_webhook_secret = SecretStr(secret)
        try:
            t.step(f"6c · {person.name}'s Zendesk ticket is solved: a CSAT, then a note on it")
            requester = zd.add_user(person.name, person.email)
            agent = zd.add_user("Aminah (support)", "aminah@vendor.example", role="agent")
            ticket = zd.add_ticket(
                requester=requester,
                assignee=agent,
                group=zd.add_group("Tier 1"),
                form=zd.add_form("Route planning"),
                subject="Routes not optimising for two depots",
            )
            zd.solve(ticket, minutes=MINUTES)
            hook = demo.url.replace("/slack/events", "/hooks/zendesk")
            status, body = await zd.send_webhook(hook, {"ticket_id": str(ticket)}, secret=secret)
            t.say(
                f"Aminah solves ticket #{ticket}; Zendesk's trigger POSTs its signed webhook to "
                f"/hooks/zendesk → {status} {body}"
            )
            t.new_calls()
            await demo.run_due()
            channel = demo.emulator.dm_channel(person.user_id)
            [survey] = demo.emulator.messages(channel)[-1:]
            t.say(f"{person.name} gets the support survey in Slack (the CES follows the CSAT):")
            t.show(next(c for c in t.new_calls() if c.method == "chat.postMessage"))
            await demo.tap(person.user_id, channel, survey, f"{ActionId.RATE_PREFIX}{SCORE}")
            demo.clock.advance(NOTE_WAIT)  # the note waits a little for a "why"
            await demo.run_due()
            [note] = zd.notes(ticket)
            t.say(f"\n{person.name} taps {SCORE}. On the ticket in Zendesk, for the agents only:")
            t.box(f"Zendesk ticket #{ticket}", "private note", note)
            t.say(f"Tags: {', '.join(zd.tickets[ticket]['tags'])}")
        finally:
            settings.zendesk_url = settings.zendesk_email = None
            settings.zendesk_token = settings.zendesk_webhook_secret = None
