"""`python -m bot demo`: the whole program offline, against the local Slack emulator.

The demo starts the emulator (and a local HubSpot, `bot/devkit/hubspot_emulator.py`) and the
app in one process and plays a week of a feedback program: it syncs 8 companies and their
40 contacts and owners from HubSpot, sends an NPS survey, answers it the way people would
(tapping the buttons in the DMs, through signed requests to POST /slack/events, the same
path Slack uses), claims and follows up the unhappy answers in #voc (a detractor's note and
its outcome landing on the company in HubSpot), lets two days
pass for an escalation, surveys a customer who talks to us only in a Slack Connect channel,
imports eleven weeks of answers from the survey tool used before (`import responses`, so
the digest's chart has twelve weeks of trend), and prints what each person saw, as text.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any, TextIO

import aiohttp
from aiohttp import web
from pydantic import SecretStr

from blocks import terminal
from blocks.admin import send_summary
from blocks.ids import ActionId, BlockId
from bot.app import build_web_app
from bot.core.config import Settings
from bot.core.runtime import Runtime, build_runtime
from bot.devkit import demo_jira
from bot.devkit.clock import FakeClock
from bot.devkit.demo_zendesk import zendesk_ticket
from bot.devkit.emulator import Call, SlackEmulator
from bot.devkit.hubspot_emulator import TOKEN as HUBSPOT_TOKEN
from bot.devkit.hubspot_emulator import HubSpotEmulator
from bot.devkit.mailbox import Mailbox
from bot.devkit.payloads import (
    block_action,
    form_body,
    interactive_body,
    signed_headers,
    slash_command,
    view_submission,
)
from bot.devkit.render import render_blocks, render_view
from bot.devkit.saved_page import save_pages
from bot.scheduler import drain
from bot.services import crm_admin, crm_sync
from bot.services.history import import_responses
from bot.services.importer import import_contacts
from bot.services.surveys import start_relationship_campaign

START = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)  # a Tuesday morning
VOC_CHANNEL = "CVOC"
ADMIN = "UADMIN"
WIDTH = 78
# The emulator has no rate limit: the demo's DMs need not wait for Slack's pace.
DEMO_SENDS_PER_SECOND = 1000.0
DEMO_SEND_BURST = 100
WEEKEND_TICK = timedelta(hours=6)  # how often the demo's scheduler runs between Thursday and Monday


@dataclass(frozen=True)
class Member:
    user_id: str
    name: str
    email: str
    account: str
    locale: str
    tz: str


@dataclass(frozen=True)
class Staff:
    user_id: str
    name: str


CSMS = (Staff("UCSM1", "Siti Rahman (CSM)"), Staff("UCSM2", "Daniel Okafor (CSM)"))
CSM_EMAILS = ("siti@vendor.example", "daniel@vendor.example")  # the HubSpot owners' emails

# A customer in its own Slack organisation, talking to us in a Slack Connect channel; its
# admins block DMs from other organisations' apps, so the survey is asked in that channel.
CONNECT_ACCOUNT = "Kinabalu Freight"
CONNECT_TEAM = "T0KINABALU"
CONNECT_CHANNEL = "C0KINABALU"
CONNECT_PEOPLE = (
    Member("U9KIN01", "Nadia", "nadia@kinabalu.example", CONNECT_ACCOUNT, "ms-MY", "Asia/Kuching"),
    Member(
        "U9KIN02", "Marcus", "marcus@kinabalu.example", CONNECT_ACCOUNT, "en-GB", "Asia/Kuching"
    ),
)
CONNECT_SCORES = (9, 4)
CONNECT_CSV = (
    "email,name,account,segment,arr,csm,slack_channel\n"
    + "".join(
        f"{p.email},{p.name},{CONNECT_ACCOUNT},mid-market,56000,UCSM1,{CONNECT_CHANNEL}\n"
        for p in CONNECT_PEOPLE
    )
    + f"ops@kinabalu.example,Ops desk,{CONNECT_ACCOUNT},,,,\n"  # in nobody's Slack
)
SUPPORT = Staff("USUP", "Mei Tan (support manager)")

# name, segment, plan, ARR, customer since, health, CSM, locale, zone
ACCOUNTS = (
    (
        "Acme Logistics",
        "enterprise",
        "Enterprise",
        240000,
        "2021-03-01",
        "green",
        0,
        "en-GB",
        "Europe/London",
    ),
    (
        "Borneo Digital Sdn Bhd",
        "mid-market",
        "Scale",
        85000,
        "2023-06-15",
        "yellow",
        1,
        "ms-MY",
        "Asia/Kuala_Lumpur",
    ),
    (
        "Cendana Retail",
        "smb",
        "Starter",
        18000,
        "2025-09-01",
        "red",
        1,
        "ms-MY",
        "Asia/Kuala_Lumpur",
    ),
    (
        "Dunmore Health",
        "enterprise",
        "Enterprise",
        310000,
        "2020-11-20",
        "yellow",
        0,
        "en-GB",
        "Europe/London",
    ),
    (
        "Elbe Freight GmbH",
        "mid-market",
        "Scale",
        64000,
        "2024-02-01",
        "green",
        0,
        "en-US",
        "Europe/Berlin",
    ),
    ("Fjord Analytics", "smb", "Starter", 12000, "2025-05-10", "green", 1, "en-US", "Europe/Oslo"),
    (
        "Gemilang Education",
        "mid-market",
        "Scale",
        45000,
        "2024-08-01",
        "red",
        1,
        "ms-MY",
        "Asia/Kuala_Lumpur",
    ),
    ("Harbor & Pine", "smb", "Starter", 9000, "2025-01-15", "yellow", 0, "en-GB", "Europe/London"),
)
FIRST_NAMES = (
    ("Olivia", "James", "Amelia", "Noah", "Isla"),
    ("Aisyah", "Hafiz", "Nurul", "Farid", "Liyana"),
    ("Zulkifli", "Siti", "Amir", "Hana", "Iskandar"),
    ("George", "Emily", "Harry", "Sophie", "Jack"),
    ("Lukas", "Mia", "Felix", "Lena", "Jonas"),
    ("Ingrid", "Lars", "Sofie", "Erik", "Nora"),
    ("Aiman", "Balqis", "Danial", "Sofea", "Irfan"),
    ("Oscar", "Grace", "Leo", "Ruby", "Theo"),
)
# One score per contact, account by account; None: never answered.
SCORES = (
    (10, 9, 9, 8, 10),
    (9, 6, None, 8, 10),
    (4, 7, 3, None, 6),
    (9, 10, 8, 5, None),
    (10, 9, 9, 7, 8),
    (8, 10, 9, None, 9),
    (2, 6, 7, 8, None),
    (9, 7, 10, None, 6),
)
COMMENTS = {
    (0, 0): "The route planner saves our dispatchers hours every week.",
    (1, 1): "Sokongan pelanggan lambat membalas tiket kami, kadang-kadang tiga hari.",
    (2, 0): "Harga terlalu mahal untuk pasukan kecil dan laporan selalu ralat.",
    (2, 2): "Aplikasi ini lambat dan sukar digunakan. <!channel> tolong baiki!",
    (3, 3): "Support took a week to answer & the docs are out of date.",
    (6, 0): "Onboarding was confusing and we still have no SSO.",
    (6, 1): "Kami perlukan integrasi dengan Google Classroom.",
    (7, 4): "Great product, but the price went up 30% at renewal.",
}


def members() -> list[Member]:
    people = []
    for a, (account, *_rest, locale, tz) in enumerate(ACCOUNTS):
        domain = account.split()[0].lower().replace("&", "and") + ".example"
        for c, first in enumerate(FIRST_NAMES[a]):
            people.append(
                Member(
                    f"U{a + 1}{c + 1:02d}", first, f"{first.lower()}@{domain}", account, locale, tz
                )
            )
    return people


def seed_hubspot(hubspot: HubSpotEmulator, people: list[Member]) -> None:
    """The CRM as a customer-success team keeps it: the 8 companies with their ARR, plan,
    segment, health and owner, and the 40 contacts, each on their company."""
    owners = [
        hubspot.add_owner(email, *staff.name.split(" (")[0].split(" ", 1))
        for staff, email in zip(CSMS, CSM_EMAILS, strict=True)
    ]
    companies = {}
    for name, segment, plan, arr, since, health, csm, *_ in ACCOUNTS:
        companies[name] = hubspot.add_company(
            {
                "name": name,
                "domain": name.split()[0].lower() + ".example",
                "annualrevenue": str(arr),
                "plan": plan,
                "segment": segment,
                "health": health,
                "hs_lifecyclestage_customer_date": since,
                "hubspot_owner_id": owners[csm],
            }
        )
    for person in people:
        hubspot.add_contact(
            {"email": person.email, "firstname": person.name, "hs_language": person.locale[:2]},
            company_id=companies[person.account],
        )


# a survey page's link (this run's port and a secret token): said as what it is, not printed
_PAGE_LINK = re.compile(r"http://127\.0\.0\.1:\d+/s/[\w-]+(?P<unsubscribe>/unsubscribe)?\S*")
_SCORE_LINK = re.compile(r"^(?P<indent>\s*)(?P<score>\d+): http://127\.0\.0\.1:\d+/s/\S+$")


def links_named(body: str) -> str:
    """A body with its survey-page links named ("the survey page, 9 chosen"), and the
    email's one link per score folded into one line."""
    lines: list[str] = []
    scores: list[str] = []
    for line in [*body.splitlines(), ""]:
        found = _SCORE_LINK.match(line)
        if found:
            scores.append(found["score"])
            indent = found["indent"]
            continue
        if scores:
            lines.append(f"{indent}[{'] ['.join(scores)}]  (each a link to the survey page)")
            scores = []
        lines.append(
            _PAGE_LINK.sub(
                lambda m: "‹unsubscribe link›" if m["unsubscribe"] else "‹survey page link›", line
            )
        )
    return "\n".join(lines[:-1])


class Transcript:
    """Prints what each person saw in Slack, from the calls the emulator answered."""

    def __init__(self, emulator: SlackEmulator, names: dict[str, str], out: TextIO) -> None:
        self.emulator = emulator
        self.names = names
        self.out = out
        self.seen = 0

    def step(self, title: str) -> None:
        self.out.write(f"\n{'━' * WIDTH}\n{title}\n{'━' * WIDTH}\n")

    def say(self, text: str) -> None:
        self.out.write(text + "\n")

    def new_calls(self) -> list[Call]:
        calls = self.emulator.calls[self.seen :]
        self.seen = len(self.emulator.calls)
        return [c for c in calls if c.ok]

    def show(self, call: Call, *, to: str | None = None) -> None:
        """One message, modal or ephemeral answer, boxed under the name of who saw it."""
        args = call.args
        where = to or self._audience(call)
        if call.method in ("views.open", "views.publish", "views.update"):
            view = args.get("view")
            body = render_view(json.loads(view) if isinstance(view, str) else view or {})
            label = "modal" if call.method != "views.publish" else "App Home"
        else:
            blocks = args.get("blocks")
            blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
            body = render_blocks(blocks, str(args.get("text") or ""))
            label = {
                "chat.update": "message updated",
                "response_url": "only visible to you",
                "chat.postEphemeral": "only visible to you",
            }.get(call.method, "thread reply" if args.get("thread_ts") else "message")
        self.box(where, label, body)

    def box(self, where: str, label: str, body: str) -> None:
        for user_id, name in self.names.items():
            body = body.replace(f"@{user_id}", f"@{name.split(' (')[0]}")
        self.out.write(f"\n  ▸ {where} · {label}\n")
        for line in links_named(body).splitlines() or [""]:
            self.out.write(f"    │ {line}\n")

    def name(self, user_id: str) -> str:
        """How the transcript names a person: "Nadia (Kinabalu Freight)", "Siti Rahman (CSM)"."""
        return self.names.get(user_id, user_id)

    def _audience(self, call: Call) -> str:
        channel = str(call.args.get("channel") or "")
        if channel == VOC_CHANNEL:
            return "#voc channel"
        if channel == CONNECT_CHANNEL:
            return "#kinabalu-freight (Slack Connect)"
        for user_id, name in self.names.items():
            if channel in (user_id, self.emulator.dm_channel(user_id)):
                return f"DM to {name}"
        return channel or "someone"


class Demo:
    """The app, the emulator and a person's hands: taps are signed POSTs to /slack/events."""

    def __init__(self, workdir: Path, out: TextIO) -> None:
        self.workdir = workdir
        self.out = out
        self.clock = FakeClock(START)
        self.secret = secrets.token_hex(16)
        self.people = members()
        self.emulator = SlackEmulator(clock=self.clock)
        self.hubspot = HubSpotEmulator(clock=self.clock)  # the CRM the accounts come from
        names = {p.user_id: f"{p.name} ({p.account})" for p in (*self.people, *CONNECT_PEOPLE)}
        names |= {s.user_id: s.name for s in (*CSMS, SUPPORT)} | {ADMIN: "Priya (admin)"}
        self.names = names
        self.transcript = Transcript(self.emulator, names, out)
        self.rt: Runtime | None = None
        self.runner: web.AppRunner | None = None
        self.http: aiohttp.ClientSession | None = None
        self.url = ""

    async def __aenter__(self) -> Demo:
        await self.emulator.start()
        for person in self.people:
            self.emulator.add_user(
                person.user_id,
                email=person.email,
                name=person.name,
                tz=person.tz,
                locale=person.locale,
            )
        for staff, email in zip(CSMS, CSM_EMAILS, strict=True):
            self.emulator.add_user(staff.user_id, name=staff.name, email=email)
        self.emulator.add_user(SUPPORT.user_id, name=SUPPORT.name)
        await self.hubspot.start()
        seed_hubspot(self.hubspot, self.people)
        for person in CONNECT_PEOPLE:
            self.emulator.add_user(
                person.user_id,
                email=person.email,
                name=person.name,
                tz=person.tz,
                locale=person.locale,
                team_id=CONNECT_TEAM,
                dm_error="restricted_action",  # their org blocks DMs from outside apps
            )
        members = [p.user_id for p in CONNECT_PEOPLE] + [CSMS[0].user_id]
        self.emulator.add_channel(CONNECT_CHANNEL, members)
        # Every setting spelled out: nothing from the environment or a .env changes the demo.
        defaults = {name: field.default for name, field in Settings.model_fields.items()}
        settings = Settings(
            _env_file=None,
            **defaults
            | {
                "slack_bot_token": "xoxb-demo",
                "slack_signing_secret": self.secret,
                "slack_api_url": self.emulator.api_url,
                "database_url": f"sqlite+aiosqlite:///{self.workdir / 'demo.db'}",
                "voc_channel": VOC_CHANNEL,
                "voc_admins": [ADMIN],
                "crm": "hubspot",
                "hubspot_token": SecretStr(HUBSPOT_TOKEN),
                "hubspot_api_url": self.hubspot.url,
            },
        )
        self.rt = build_runtime(
            settings,
            clock=self.clock,
            sends_per_second=DEMO_SENDS_PER_SECOND,
            send_burst=DEMO_SEND_BURST,
        )
        await self.rt.start()
        await self.rt.db.upgrade()
        self.runner = web.AppRunner(build_web_app(self.rt, scheduler=False))
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        host, port = self.runner.addresses[0][:2]
        self.url = f"http://{host}:{port}/slack/events"
        self.http = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self.http is not None:
            await self.http.close()
        if self.runner is not None:
            await self.runner.cleanup()  # also closes the runtime
        await self.emulator.stop()
        await self.hubspot.stop()

    @property
    def runtime(self) -> Runtime:
        assert self.rt is not None, "use the demo as an async context manager"
        return self.rt

    # a person's hands

    async def interact(self, payload: dict[str, Any]) -> None:
        """POST a signed interactive payload, then wait for the work done after the ack."""
        body = interactive_body(payload)
        await self._post(body, signed_headers(self.secret, body))

    async def command(self, user: str, text: str, channel: str = VOC_CHANNEL) -> None:
        """Type `/voc text` and press Enter: a signed slash-command request."""
        self.transcript.say(f"\n  {self.names[user]} types: /voc {text}")
        fields = slash_command(
            user=user, text=text, channel=channel, response_url=self.emulator.new_response_url()
        )
        body = form_body(fields)
        await self._post(body, signed_headers(self.secret, body))

    async def _post(self, body: str, headers: dict[str, str]) -> str:
        assert self.http is not None
        async with self.http.post(self.url, data=body.encode(), headers=headers) as response:
            text = await response.text()
            if response.status != 200:
                raise RuntimeError(f"the app answered {response.status}: {text[:200]}")
        await self.runtime.settle()
        return text

    async def tap(
        self,
        user: str,
        channel: str,
        message: dict[str, Any],
        action: str,
        *,
        team: str | None = None,
    ) -> None:
        """Tap the button whose action_id is `action` in a message; `team`: another org's."""
        button, block_id = _find_button(message, action)
        payload = block_action(
            user=user,
            action_id=button["action_id"],
            value=str(button.get("value", "")),
            channel=channel,
            message_ts=str(message["ts"]),
            response_url=self.emulator.new_response_url(),
            block_id=block_id,
            locale=next(
                (p.locale for p in (*self.people, *CONNECT_PEOPLE) if p.user_id == user), None
            ),
            user_team=team,
        )
        await self.interact(payload)

    async def submit(self, user: str, view: dict[str, Any], values: dict[str, Any]) -> None:
        await self.interact(
            view_submission(
                user=user,
                callback_id=str(view.get("callback_id", "")),
                private_metadata=str(view.get("private_metadata", "")),
                values=values,
            )
        )

    def last_view(self) -> dict[str, Any]:
        calls = [c for c in self.emulator.calls if c.method == "views.open" and c.ok]
        view = calls[-1].args["view"]
        return json.loads(view) if isinstance(view, str) else view

    def dm(self, user: str) -> tuple[str, list[dict[str, Any]]]:
        channel = self.emulator.dm_channel(user)
        return channel, self.emulator.messages(channel)

    async def run_due(self) -> None:
        await drain(self.runtime, self.clock())
        await self.runtime.settle()


async def play(demo: Demo) -> None:
    """The scenario: one survey round from import to escalation, told step by step."""
    rt, t, clock = demo.runtime, demo.transcript, demo.clock
    say = t.say

    t.step("1 · Priya (admin) connects HubSpot: 8 companies, 40 contacts, their owners")
    setup = await crm_admin.setup(rt)
    say("$ python -m bot crm setup\n" + "\n".join(terminal.crm_setup(setup)))
    summary = await crm_sync.sync(rt, now=clock())
    say(f"$ python -m bot crm sync\n{terminal.crm_summary(summary)}")
    say("Each company's owner in HubSpot is now its account's CSM in Slack, by email.")

    t.step("2 · Priya starts the quarterly NPS survey: `python -m bot send nps --now`")
    campaign = await start_relationship_campaign(rt, kind="nps", now=clock(), send_now=True)
    say(send_summary(campaign))
    t.new_calls()
    await demo.run_due()
    sent = [c for c in t.new_calls() if c.method == "chat.postMessage"]
    say(f"{len(sent)} survey DMs went out. Each person reads it in their own language:")
    for user in (demo.people[0].user_id, demo.people[5].user_id):
        shown = next(c for c in sent if t._audience(c) == f"DM to {demo.names[user]}")
        t.show(shown)

    t.step("3 · People answer: one tap on a score, some say why (English and Malay)")
    answered = 0
    for index, person in enumerate(demo.people):
        score = SCORES[index // 5][index % 5]
        if score is None:
            continue
        channel, messages = demo.dm(person.user_id)
        await demo.tap(person.user_id, channel, messages[0], f"{ActionId.RATE_PREFIX}{score}")
        answered += 1
        comment = COMMENTS.get((index // 5, index % 5))
        if comment:
            _, messages = demo.dm(person.user_id)
            await demo.tap(person.user_id, channel, messages[0], ActionId.TELL_WHY)
            await demo.submit(
                person.user_id,
                demo.last_view(),
                {
                    BlockId.COMMENT: {
                        ActionId.COMMENT_INPUT: {"type": "plain_text_input", "value": comment}
                    }
                },
            )
    await demo.run_due()
    calls = t.new_calls()
    say(f"{answered} of {len(demo.people)} answered. What two of them saw after tapping:")
    cendana = demo.people[12].user_id  # scored 3 and complained, in Malay
    for user in (demo.people[0].user_id, cendana):
        updates = [
            c
            for c in calls
            if c.method == "chat.update" and t._audience(c) == f"DM to {demo.names[user]}"
        ]
        if updates:
            t.show(updates[-1])
    cards = [m for m in demo.emulator.messages(VOC_CHANNEL) if not m.get("thread_ts")]
    say(f"\nEvery unhappy answer became a card in #voc: {len(cards)} cards. Two of them:")
    for card in cards:
        if any(name in json.dumps(card) for name in ("Harbor", "Dunmore")):
            t.box("#voc channel", "message", render_blocks(card.get("blocks")))

    t.step("4 · Daniel (CSM) claims the Cendana Retail card and logs his call")
    daniel = CSMS[1].user_id
    card = _card_for(demo.emulator.messages(VOC_CHANNEL), "Cendana Retail")
    await demo.tap(daniel, VOC_CHANNEL, card, ActionId.CLAIM)
    card = _card_for(demo.emulator.messages(VOC_CHANNEL), "Cendana Retail")
    await demo.tap(daniel, VOC_CHANNEL, card, ActionId.LOG_FOLLOW_UP)
    t.show(_last(t.new_calls(), "views.open"), to="Daniel Okafor (CSM)")
    clock.advance(timedelta(hours=3))
    await demo.submit(
        daniel,
        demo.last_view(),
        {
            BlockId.OUTCOME: {
                ActionId.OUTCOME_SELECT: {
                    "type": "static_select",
                    "selected_option": {"value": "recovered"},
                }
            },
            BlockId.NOTE: {
                ActionId.NOTE_INPUT: {
                    "type": "plain_text_input",
                    "value": "Called Zulkifli: fixed the report export, offered a pricing review.",
                }
            },
        },
    )
    say("\nThe card in #voc now shows who followed up and how:")
    t.show(_last(t.new_calls(), "chat.update"))
    await demo.run_due()  # what the CRM is told goes out with the scheduler's next pass
    crm_timeline(demo, "Cendana Retail")

    t.step("5 · Two days pass: unclaimed detractors escalate in the card's thread")
    clock.advance(timedelta(hours=47))
    await demo.run_due()
    replies = [
        c for c in t.new_calls() if c.method == "chat.postMessage" and c.args.get("thread_ts")
    ]
    say(
        f"{len(replies)} cases had no follow-up after 48 hours; each got the first of three "
        "reminders, a day apart (step 9 shows the rest). One:"
    )
    if replies:
        t.show(replies[0])


def crm_timeline(demo: Demo, account: str) -> None:
    """What the account executive sees on the company in HubSpot: VoC bot's note, its
    outcome, and the company's NPS and open cases."""
    hubspot = demo.hubspot
    company = next(
        r for r in hubspot.objects["companies"].values() if r.properties.get("name") == account
    )
    notes = [n for n in hubspot.notes() if company.id in n.companies]
    demo.transcript.say(
        f"\nIn HubSpot, on {account}'s timeline (and each detractor's contact record), "
        f"{len(notes)} notes from VoC bot. One, with the outcome added when the case closed:"
    )
    texts = [_note_text(n.properties["hs_note_body"]) for n in notes]
    demo.transcript.box("HubSpot", "note", next((t for t in texts if "Outcome" in t), texts[0]))
    fields = {k: company.properties.get(k) for k in ("voc_nps", "voc_open_cases")}
    demo.transcript.say(
        f"  and on the company: voc_nps {fields['voc_nps']}, "
        f"voc_open_cases {fields['voc_open_cases']}"
    )


def _note_text(html: str) -> str:
    """A HubSpot note's rich text as the lines it shows."""
    text = re.sub(r"<br\s*/?>|</p>", "\n", html)
    return "\n".join(
        line.strip() for line in unescape(re.sub(r"<[^>]+>", "", text)).splitlines() if line
    )


async def slack_connect(demo: Demo) -> None:
    """A customer outside our workspace answers from the Slack Connect channel we share."""
    rt, t, clock = demo.runtime, demo.transcript, demo.clock
    say = t.say
    t.step(f"6 · {CONNECT_ACCOUNT} talks to us only in a Slack Connect channel")
    say(
        "Its people are in their own Slack organisation: no member lookup finds them. The CSV "
        f"names the account's shared channel ({CONNECT_CHANNEL}), and the bot is in it."
    )
    report = await import_contacts(db=rt.db, csv_text=CONNECT_CSV, now=clock())
    say(f"$ python -m bot import contacts kinabalu.csv\n{terminal.import_report(report)}")
    say(f'$ python -m bot send nps --account "{CONNECT_ACCOUNT}" --now')
    campaign = await start_relationship_campaign(
        rt, kind="nps", now=clock(), account=CONNECT_ACCOUNT, send_now=True
    )
    say(send_summary(campaign))
    t.new_calls()
    await demo.run_due()
    calls = t.new_calls()
    say(
        "\nTheir organisation refuses DMs from our app, so the survey is asked in the shared "
        "channel, addressed to them. Nobody's score is ever shown there:"
    )
    post = next(c for c in calls if c.method == "chat.postMessage")
    t.show(post)
    for person, score in zip(CONNECT_PEOPLE, CONNECT_SCORES, strict=True):
        [message] = demo.emulator.messages(CONNECT_CHANNEL)
        action = f"{ActionId.SHARED_RATE_PREFIX}{score}"
        await demo.tap(person.user_id, CONNECT_CHANNEL, message, action, team=CONNECT_TEAM)
    await demo.run_due()
    calls = t.new_calls()
    say("\nWhat Nadia saw after her tap, and the channel's post after both answered:")
    nadia = t.name(CONNECT_PEOPLE[0].user_id)
    t.show(next(c for c in calls if c.method == "chat.postEphemeral"), to=nadia)
    t.show([c for c in calls if c.method == "chat.update"][-1])
    card = _card_for(demo.emulator.messages(VOC_CHANNEL), CONNECT_ACCOUNT)
    say("\nMarcus's 4 is a detractor like anyone's: a card in #voc for Siti.")
    t.box("#voc channel", "message", render_blocks(card.get("blocks")))


EMAIL_PERSON = ("farah@tawau-logistics.example", "Farah Aziz", "Tawau Logistics", "ms-MY")
EMAIL_SCORE = 9


async def by_email(demo: Demo) -> None:
    """A contact in nobody's Slack gets the survey by email and answers on the page.

    The email goes through a local SMTP server (bot/devkit/mailbox.py); the page is opened
    and submitted over HTTP like a browser would. The email is kept as `survey-email.eml`
    and the pages as `survey-page.html` and `survey-thanks.html` in the demo's folder.
    """
    rt, t, clock = demo.runtime, demo.transcript, demo.clock
    say = t.say
    address, name, account, locale = EMAIL_PERSON
    t.step(f"6b · {name} of {account} is in nobody's Slack: the survey goes by email")
    csv_text = f"email,name,account,segment,locale\n{address},{name},{account},smb,{locale}\n"
    report = await import_contacts(db=rt.db, csv_text=csv_text, now=clock())
    say(f"$ python -m bot import contacts tawau.csv\n{terminal.import_report(report)}")
    async with Mailbox() as mailbox:
        settings = rt.settings
        settings.smtp_url, settings.email_from = (
            SecretStr(mailbox.url),
            "Fleetline Feedback <nps@fleetline.example>",
        )
        settings.public_url, settings.product_name = (
            demo.url.removesuffix("/slack/events"),
            "Fleetline",
        )
        try:
            say(f"With SMTP_URL set: $ python -m bot send nps --email {address} --now")
            campaign = await start_relationship_campaign(
                rt, kind="nps", now=clock(), email=address, send_now=True
            )
            say(send_summary(campaign))
            await demo.run_due()
        finally:
            settings.smtp_url = None  # the rest of the demo is Slack only
    [message] = mailbox.messages
    (demo.workdir / "survey-email.eml").write_bytes(mailbox.raw[0])
    text = message.get_body(preferencelist=("plain",))
    t.box(
        f"{name}'s inbox", f"email “{message['Subject']}”", str(text.get_content() if text else "")
    )
    link = next(
        line.split(": ", 1)[1]
        for line in str(text.get_content() if text else "").splitlines()
        if line.strip().startswith(f"{EMAIL_SCORE}:")
    )
    page, thanks = await _answer_on_page(link, EMAIL_SCORE, "Penghantaran sentiasa tepat masa.")
    save_pages(demo.workdir, rt.settings, {"survey-page.html": page, "survey-thanks.html": thanks})
    say(
        f"\n{name} clicks {EMAIL_SCORE}: the page opens with {EMAIL_SCORE} chosen (opening it "
        "records nothing). She adds a comment and sends it; the page answers:"
    )
    t.box(f"{name}'s browser", "the survey page, after sending", _visible_text(thanks))


async def _answer_on_page(link: str, score: int, comment: str) -> tuple[str, str]:
    """Open the link and submit its form the way a browser does (cookie and CSRF token)."""
    jar = aiohttp.CookieJar(unsafe=True)  # the page is on 127.0.0.1
    async with aiohttp.ClientSession(cookie_jar=jar) as browser:
        async with browser.get(link) as response:
            page = await response.text()
        csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        form = {"csrf": csrf, "score": str(score), "comment": comment}
        async with browser.post(link, data=form) as response:
            return page, await response.text()


def _visible_text(html: str) -> str:
    """The page's headings and paragraphs as plain text, for the transcript."""

    body = html.split('<main id="main">', 1)[-1]
    lines = [
        unescape(re.sub(r"<[^>]+>", "", chunk)).strip()
        for chunk in re.split(r"</(?:h1|h2|p|button)>", body)
    ]
    return "\n".join(line for line in lines if line)


async def feedback(demo: Demo) -> None:
    """CSMs log what they hear on calls; an admin ships the most-asked feature."""
    t = demo.transcript
    siti, daniel = CSMS[0].user_id, CSMS[1].user_id

    t.step("7 · CSMs log what customers say on calls with /voc")
    t.new_calls()
    await demo.command(
        siti, "olivia@acme.example: dispatchers want single sign-on with Azure AD #feature:SSO"
    )
    t.show(_last(t.new_calls(), "response_url"), to="Siti Rahman (CSM)")
    for user, text in (
        (
            daniel,
            "aisyah@borneo.example: mahu SSO, terlalu banyak kata laluan #feature:SSO #qbr",
        ),
        (
            siti,
            "dunmore: trialling Zendesk because our support replies are too slow "
            "#competitor:Zendesk",
        ),
        (
            daniel,
            "aiman@gemilang.example: needs rostering from Google Classroom "
            '#feature:"Google Classroom"',
        ),
        (siti, "harbor & pine: loved the new onboarding checklist #praise"),
    ):
        await demo.command(user, text)
    t.new_calls()
    await demo.command(daniel, "requests")
    t.show(_last(t.new_calls(), "response_url"), to="Daniel Okafor (CSM)")
    await demo.command(daniel, "themes 30d")
    t.show(_last(t.new_calls(), "response_url"), to="Daniel Okafor (CSM)")

    t.step("8 · Priya ships SSO: everyone who asked hears it's live")
    await demo.command(ADMIN, "ship SSO")
    calls = t.new_calls()
    t.show(_last(calls, "response_url"), to="Priya (admin)")
    notices = [dm for dm in calls if dm.method == "chat.postMessage"]
    shown = (demo.people[0].user_id, demo.people[5].user_id)
    t.say(f"{len(notices)} DMs went out, each in its reader's language. Two of them:")
    for dm in notices:
        if dm.args.get("channel") in shown:
            t.show(dm)


async def weekly(demo: Demo) -> Path | None:
    """Monday 09:00: the scheduler posts the weekly digest; returns the chart's path."""
    t, clock = demo.transcript, demo.clock
    t.step("9 · Monday 09:00: the weekly digest arrives in #voc")
    monday = _digest_monday(clock())
    t.new_calls()
    while clock() + WEEKEND_TICK < monday:  # the scheduler runs all weekend, as in production
        clock.advance(WEEKEND_TICK)
        await demo.run_due()
    clock.advance(monday - clock())
    await demo.run_due()
    calls = t.new_calls()
    reminders = [
        c
        for c in calls
        if c.method == "chat.postMessage" and str(c.args.get("channel", "")).startswith("D")
    ]
    escalations = [
        c
        for c in calls
        if c.method == "chat.postMessage" and c.args.get("thread_ts") and not c.args.get("metadata")
    ]
    say = t.say
    say(
        f"Over the weekend the scheduler also sent {len(reminders)} survey reminders (one each, "
        f"to those who had not answered) and {len(escalations)} further escalations."
    )
    _escalation_thread(demo, "Dunmore Health")
    digests = [c for c in calls if c.method == "chat.postMessage" and c.args.get("metadata")]
    for posted in digests:
        t.show(posted)
    files = demo.emulator.uploaded_files()
    if not files:
        return None
    chart = demo.workdir / "digest-chart.png"
    chart.write_bytes(list(files.values())[-1])
    say(f"\n  …and in its thread, the chart of NPS per week: {chart}")
    return chart


def _escalation_thread(demo: Demo, account: str) -> None:
    """The replies in an unclaimed case's thread: the whole escalation ladder, step by step."""
    card = _card_for(demo.emulator.messages(VOC_CHANNEL), account)
    replies = [
        m
        for m in demo.emulator.messages(VOC_CHANNEL)
        if m.get("thread_ts") == card["ts"] and m["ts"] != card["ts"]
    ]
    demo.transcript.say(
        f"\nNobody followed up the {account} card: its thread holds the whole ladder, one "
        "reminder a day. After the third the case stays open, counted as overdue below."
    )
    for reply in replies:
        demo.transcript.box("#voc channel", "thread reply", render_blocks(None, reply["text"]))


HISTORY_WEEKS = 11  # before the survey's week: with it, the chart's 12 weeks all have points
HISTORY_PER_WEEK = 7


def _digest_monday(now: datetime) -> datetime:
    """The next Monday 09:00, when the scheduler posts the weekly digest."""
    monday = now + timedelta(days=(7 - now.weekday()) % 7 or 7)
    return monday.replace(hour=9, minute=0, second=0, microsecond=0)


def history_csv(people: list[Member], digest_at: datetime) -> str:
    """Past NPS answers from the tool used before, in the generic layout, one batch a week
    for the `HISTORY_WEEKS` weeks before the survey's week: a score that climbs slowly."""
    lines = ["email,kind,score,comment,answered_at"]
    for week in range(HISTORY_WEEKS):
        when = digest_at - timedelta(weeks=HISTORY_WEEKS + 1 - week) + timedelta(hours=26)
        promoters, detractors = 1 + week // 4, 3 - week // 6
        for k in range(HISTORY_PER_WEEK):
            person = people[(week * HISTORY_PER_WEEK + k) % len(people)]
            score = 9 + k % 2 if k < promoters else 3 + k % 4 if k >= 7 - detractors else 7 + k % 2
            lines.append(
                f"{person.email},nps,{score},,{when + timedelta(minutes=k):%Y-%m-%d %H:%M}"
            )
    return "\n".join(lines) + "\n"


async def history(demo: Demo) -> None:
    """Priya brings the answers of the survey tool used before: the chart has a real trend."""
    path = demo.workdir / "history.csv"
    path.write_text(history_csv(demo.people, _digest_monday(demo.clock())))
    report = await import_responses(db=demo.runtime.db, csv_text=path.read_text())
    demo.transcript.say(
        f"\nPriya also brings {HISTORY_WEEKS} weeks of answers from the tool used before:\n"
        f"$ python -m bot import responses {path.name}\n{terminal.history_report(report)}"
    )


def _find_button(message: dict[str, Any], action: str) -> tuple[dict[str, Any], str]:
    for block in message.get("blocks") or []:
        for element in _elements(block):
            if element.get("type") == "button" and element.get("action_id") == action:
                return element, str(block.get("block_id", ""))
    raise LookupError(f"no button {action!r} in the message")


def _elements(block: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from block.get("elements") or []
    if block.get("accessory"):
        yield block["accessory"]


def _card_for(messages: list[dict[str, Any]], account: str) -> dict[str, Any]:
    for message in messages:
        if account in json.dumps(message.get("blocks") or []) and not message.get("thread_ts"):
            return message
    raise LookupError(f"no #voc card for {account}")


def _last(calls: list[Call], method: str) -> Call:
    return [c for c in calls if c.method == method][-1]


# The transcript is the demo's output; these loggers speak only of errors while it plays.
NOISY_LOGGERS = ("bot", "slack_bolt", "slack_sdk", "aiohttp", "apscheduler")


async def run_demo(
    out: TextIO, workdir: Path | None = None, scenario: Callable[[Demo], Any] | None = None
) -> Path:
    """Play the demo; returns the directory holding its database (and the digest chart)."""
    folder = workdir or Path(tempfile.mkdtemp(prefix="vocbot-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "demo.db").unlink(missing_ok=True)  # each run starts from an empty program
    noisy = [logging.getLogger(name) for name in NOISY_LOGGERS]
    levels = [logger.level for logger in noisy]
    for logger in noisy:
        logger.setLevel(logging.ERROR)
    try:
        async with Demo(folder, out) as demo:
            if scenario is None:
                await play(demo)
                await slack_connect(demo)
                await by_email(demo)
                await zendesk_ticket(demo)  # a solved ticket → a CSAT → a note on it
                await feedback(demo)
                await demo_jira.jira_round_trip(demo, csm=CSMS[1].user_id)  # Jira out and back
                await history(demo)
                await weekly(demo)
            else:
                await scenario(demo)
    finally:  # a demo run inside another program (the tests) leaves its logging as it was
        for logger, level in zip(noisy, levels, strict=True):
            logger.setLevel(level)
    out.write(f"\nThe demo's database and files are in {folder}\n")
    return folder


def main(out: TextIO, workdir: Path | None = None) -> Path:
    return asyncio.run(run_demo(out, workdir))
