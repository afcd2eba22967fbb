"""`POST /hooks/events` end to end: real HTTP in, invitations in the database, DMs out."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select, update

from bot.core.runtime import Runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.domain.vocabulary import InvitationStatus
from bot.scheduler import run_due
from storage.models import Account, Contact, IngestedEvent, Invitation
from tests.seed import Person, add_people

S = InvitationStatus
pytestmark = pytest.mark.postgres

TOKEN = "ingest-test-token"
ANA = "ana@acme.test"
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)  # the clock fixture's start: Tue 09:30 UTC
DROP = object()  # marks a field to leave out of the body


class Hooks:
    """Posts events to the served app the way another system would."""

    def __init__(self, app_url: str) -> None:
        self.url = app_url.rstrip("/") + "/hooks/events"
        self.session = aiohttp.ClientSession()

    async def raw(self, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        sent = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        sent |= headers or {}
        async with self.session.post(self.url, data=body, headers=sent) as response:
            return response.status, json.loads(await response.text())

    async def send(self, **fields: Any) -> tuple[int, Any]:
        return await self.raw(json.dumps(event(**fields)).encode())

    async def close(self) -> None:
        await self.session.close()


def event(**fields: Any) -> dict[str, Any]:
    """A valid ticket_closed event for Ana, changed by `fields` (DROP leaves one out)."""
    body: dict[str, Any] = {
        "event": "ticket_closed",
        "email": ANA,
        "occurred_at": "2026-11-24T09:00:00Z",
    }
    body |= fields
    return {key: value for key, value in body.items() if value is not DROP}


@pytest.fixture
async def hooks(rt: Runtime, app_url: str) -> AsyncIterator[Hooks]:
    rt.settings.ingest_token = SecretStr(TOKEN)
    sender = Hooks(app_url)
    yield sender
    await sender.close()


@pytest.fixture
async def ana(rt: Runtime, emulator: SlackEmulator) -> int:
    emulator.add_user("U1", email=ANA)
    [contact_id] = await add_people(rt.db, Person(ANA, "U1", tz="UTC"))
    return contact_id


async def _invitations(rt: Runtime) -> list[Invitation]:
    async with rt.db.session() as session:
        return list((await session.execute(select(Invitation).order_by(Invitation.id))).scalars())


async def _stored(rt: Runtime) -> tuple[int, int]:
    """How many invitations and ingested events there are."""
    async with rt.db.session() as session:
        invitations = (await session.execute(select(func.count(Invitation.id)))).scalar_one()
        events = (await session.execute(select(func.count(IngestedEvent.id)))).scalar_one()
    return invitations, events


# refusals


@pytest.mark.parametrize(
    ("authorization", "said"),
    [
        (None, "missing Authorization header"),
        ("Bearer wrong-token", "wrong token"),
        (f"Bearer {TOKEN}x", "wrong token"),
        (f"Basic {TOKEN}", "wrong token"),
        ("Bearer", "wrong token"),
    ],
)
async def test_a_missing_or_wrong_token_is_refused_and_stores_nothing(
    rt: Runtime, hooks: Hooks, ana: int, authorization: str | None, said: str
) -> None:
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    body = json.dumps(event(event_id="e-1")).encode()
    async with hooks.session.post(hooks.url, data=body, headers=headers) as response:
        status, answer = response.status, await response.json()
        challenge = response.headers.get("WWW-Authenticate")
    assert status == 401 and challenge == "Bearer"
    assert said in answer["error"] and "Authorization: Bearer <INGEST_TOKEN>" in answer["error"]
    assert await _stored(rt) == (0, 0)


async def test_the_endpoint_is_off_until_ingest_token_is_set(
    rt: Runtime, hooks: Hooks, ana: int
) -> None:
    rt.settings.ingest_token = None
    status, answer = await hooks.send(event_id="e-1")
    assert status == 503
    assert "off until INGEST_TOKEN is set" in answer["error"]
    assert await _stored(rt) == (0, 0)


@pytest.mark.parametrize(
    ("fields", "field", "said"),
    [
        ({"event": DROP}, "event", "event is missing"),
        ({"event": "ticket_opened"}, "event", "send one of ticket_closed, onboarding_completed"),
        ({"event": "ticket_opened"}, "event", ", churned, usage"),  # usage is an event too
        ({"event": "nope", "email": "nope"}, "event", "is not known"),  # the first bad field
        ({"email": DROP}, "email", "email is missing"),
        ({"email": "ana-at-acme"}, "email", "is not an email address"),
        ({"email": 7}, "email", "is not an email address"),
        ({"occurred_at": DROP}, "occurred_at", "occurred_at is missing"),
        ({"occurred_at": "2026-11-24T09:00:00"}, "occurred_at", "add one such as Z"),
        ({"occurred_at": "yesterday"}, "occurred_at", "ISO-8601 time with a zone"),
        ({"occurred_at": 1795512600}, "occurred_at", "ISO-8601 time with a zone"),
        ({"occurred_at": "2026-11-24T12:00:00Z"}, "occurred_at", "in the future"),
        ({"context": "vip"}, "context", "at most 20 keys"),
        ({"context": {f"k{n}": n for n in range(21)}}, "context", "at most 20 keys"),
        ({"context": {"tags": ["a", "b"]}}, "context", "context.tags"),
        ({"context": {"owner": None}}, "context", "context.owner"),
        ({"context": {"event": "x"}}, "context", "key named event"),
        ({"event_id": "x" * 201}, "event_id", "1 to 200 characters"),
        ({"event_id": ""}, "event_id", "1 to 200 characters"),
        ({"event_id": 42}, "event_id", "send a string"),
        ({"eventid": "e-1"}, "eventid", "send only event, email, occurred_at, context, event_id"),
    ],
)
async def test_a_bad_field_is_named_and_nothing_is_stored(
    rt: Runtime, hooks: Hooks, ana: int, fields: dict[str, Any], field: str, said: str
) -> None:
    status, answer = await hooks.send(**({"event_id": "e-1"} | fields))
    assert status == 400
    assert answer["field"] == field
    assert said in answer["error"]
    assert await _stored(rt) == (0, 0)


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b"event=ticket_closed", "not JSON"),
        (b'{"event": "ticket_closed", "email": ', "not JSON"),
        (b'{"event": "ticket_closed", "context": {"x": NaN}}', "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[" * 30000 + b"]" * 30000, "not JSON"),  # nested past what a parser recurses
        (b'["ticket_closed"]', "not a JSON object"),
    ],
)
async def test_a_body_that_is_not_a_json_object_is_refused(
    rt: Runtime, hooks: Hooks, ana: int, body: bytes, said: str
) -> None:
    status, answer = await hooks.raw(body)
    assert status == 400
    assert answer["field"] == "body" and said in answer["error"]
    assert await _stored(rt) == (0, 0)


async def test_an_unknown_email_is_404_and_stores_nothing(
    rt: Runtime, hooks: Hooks, ana: int
) -> None:
    status, answer = await hooks.send(email="Bob@Acme.test", event_id="e-1")
    assert status == 404
    assert answer == {"error": "no contact with email bob@acme.test; import it first"}
    assert await _stored(rt) == (0, 0)


async def test_a_body_over_64_kb_is_413_and_one_just_under_is_taken(
    rt: Runtime, hooks: Hooks, ana: int
) -> None:
    status, answer = await hooks.send(context={"notes": "x" * (64 * 1024)})
    assert status == 413 and "64 KB" in answer["error"]
    assert await _stored(rt) == (0, 0)

    status, _ = await hooks.send(context={"notes": "x" * (60 * 1024)})
    assert status == 202
    assert (await _stored(rt))[0] == 2


# the trigger rules


@pytest.mark.parametrize(
    ("name", "trigger", "kinds"),
    [
        ("ticket_closed", "support", ["csat", "ces"]),
        ("onboarding_completed", "onboarding", ["csat", "nps"]),
        ("training_attended", "training", ["csat"]),
    ],
)
async def test_each_event_schedules_its_surveys(
    rt: Runtime, hooks: Hooks, ana: int, name: str, trigger: str, kinds: list[str]
) -> None:
    status, answer = await hooks.send(event=name)
    assert status == 202
    invitations = await _invitations(rt)
    assert answer == {
        "scheduled": [
            {"invitation_id": i.id, "kind": kind, "due_at": NOW.isoformat()}
            for i, kind in zip(invitations, kinds, strict=True)
        ],
        "skipped": None,
    }
    # a closed ticket's CES waits for its CSAT and is asked in the same DM (one DM, not two)
    chained = name == "ticket_closed"
    assert [(i.kind, i.trigger, i.status) for i in invitations] == [
        (kind, trigger, S.WAITING if chained and n else S.SCHEDULED) for n, kind in enumerate(kinds)
    ]
    assert [i.follows_invitation_id for i in invitations] == [
        invitations[n - 1].id if chained and n else None for n in range(len(kinds))
    ]
    assert {i.contact_id for i in invitations} == {ana}
    assert {i.due_at for i in invitations} == {NOW}


@pytest.mark.parametrize(
    ("hour", "tz", "due"),
    [
        (14, "Asia/Kuala_Lumpur", datetime(2026, 11, 25, 0, 0, tzinfo=UTC)),  # 22:00 → 08:00
        (9, "America/New_York", datetime(2026, 11, 24, 13, 0, tzinfo=UTC)),  # 04:30 → 08:00
        (9, "Asia/Kuala_Lumpur", datetime(2026, 11, 24, 9, 30, tzinfo=UTC)),  # 17:30: at once
    ],
)
async def test_quiet_hours_in_the_contacts_zone_wait_for_eight(
    rt: Runtime,
    hooks: Hooks,
    emulator: SlackEmulator,
    clock: FakeClock,
    hour: int,
    tz: str,
    due: datetime,
) -> None:
    clock.current = clock.current.replace(hour=hour)
    emulator.add_user("U1", email=ANA, tz=tz)
    await add_people(rt.db, Person(ANA, "U1", tz=tz))
    status, answer = await hooks.send(
        event="training_attended", occurred_at=clock.current.isoformat()
    )
    assert status == 202
    assert [entry["due_at"] for entry in answer["scheduled"]] == [due.isoformat()]
    clock.current = due - timedelta(minutes=1)
    await run_due(rt)
    assert emulator.calls_to("chat.postMessage") == []
    clock.current = due
    await run_due(rt)
    assert len(emulator.calls_to("chat.postMessage", ok=True)) == 1


async def test_an_event_that_happened_later_than_now_is_due_when_it_happened(
    rt: Runtime, hooks: Hooks, ana: int
) -> None:
    status, answer = await hooks.send(occurred_at="2026-11-24T10:00:00+00:00")
    assert status == 202
    assert {entry["due_at"] for entry in answer["scheduled"]} == {"2026-11-24T10:00:00+00:00"}


@pytest.mark.parametrize(
    ("name", "age", "too_old"),
    [
        ("ticket_closed", timedelta(hours=23), False),
        ("ticket_closed", timedelta(hours=25), True),
        ("training_attended", timedelta(hours=25), True),
        ("renewal_signed", timedelta(days=8), True),  # one 6 days old: tests/e2e/test_milestones.py
    ],
)
async def test_an_event_too_old_for_a_fresh_survey_is_skipped(
    rt: Runtime, hooks: Hooks, ana: int, name: str, age: timedelta, too_old: bool
) -> None:
    status, answer = await hooks.send(event=name, occurred_at=(NOW - age).isoformat())
    assert status == 202
    invitations = await _invitations(rt)
    assert invitations
    if too_old:
        assert answer == {"scheduled": [], "skipped": "too old"}
        assert {(i.status, i.skip_reason) for i in invitations} == {(S.SKIPPED, "too old")}
    else:
        assert answer["skipped"] is None and len(answer["scheduled"]) == len(invitations)
        # the first question goes out; a closed ticket's CES waits to be asked in its DM
        assert [i.status for i in invitations] == [S.SCHEDULED, S.WAITING][: len(invitations)]


async def test_one_transactional_survey_per_contact_per_seven_days(
    rt: Runtime, hooks: Hooks, ana: int, clock: FakeClock
) -> None:
    first = await hooks.send(event="ticket_closed")
    assert first[0] == 202 and len(first[1]["scheduled"]) == 2  # CSAT + CES count as one

    clock.advance(timedelta(days=6, hours=23))
    second = await hooks.send(event="training_attended", occurred_at=clock.current.isoformat())
    assert second == (202, {"scheduled": [], "skipped": "fatigue"})
    skipped = (await _invitations(rt))[-1]
    assert (skipped.kind, skipped.trigger) == ("csat", "training")
    assert (skipped.status, skipped.skip_reason) == (S.SKIPPED, "fatigue")

    clock.advance(timedelta(hours=1, minutes=1))
    third = await hooks.send(event="renewal_signed", occurred_at=clock.current.isoformat())
    assert third[0] == 202 and [e["kind"] for e in third[1]["scheduled"]] == ["ces"]


async def test_two_events_for_one_contact_at_once_schedule_one_set(
    rt: Runtime, hooks: Hooks, ana: int
) -> None:
    answers = await asyncio.gather(
        *(hooks.send(event=name, event_id=name) for name in ("ticket_closed", "training_attended"))
    )
    assert sorted(str(answer["skipped"]) for _, answer in answers) == ["None", "fatigue"]
    scheduled = [i for i in await _invitations(rt) if i.status == S.SCHEDULED]
    assert len({i.trigger for i in scheduled}) == 1


async def test_an_opted_out_contact_is_skipped(rt: Runtime, hooks: Hooks, ana: int) -> None:
    async with rt.db.transaction() as session:
        await session.execute(update(Contact).values(opted_out=True, opted_out_at=NOW))
    status, answer = await hooks.send(event="onboarding_completed")
    assert (status, answer) == (202, {"scheduled": [], "skipped": "opted out"})
    invitations = await _invitations(rt)
    assert [(i.kind, i.status, i.skip_reason) for i in invitations] == [
        ("csat", S.SKIPPED, "opted out"),
        ("nps", S.SKIPPED, "opted out"),
    ]


async def test_a_contact_without_a_slack_user_is_skipped(rt: Runtime, hooks: Hooks) -> None:
    await add_people(rt.db, Person(ANA))  # no Slack id, and nobody in Slack has the email
    status, answer = await hooks.send()
    assert (status, answer) == (202, {"scheduled": [], "skipped": "no Slack user"})
    assert {i.skip_reason for i in await _invitations(rt)} == {"no Slack user"}


async def test_a_slack_error_during_the_lookup_asks_to_send_again_and_stores_nothing(
    rt: Runtime, hooks: Hooks, emulator: SlackEmulator
) -> None:
    emulator.add_user("U1", email=ANA)
    await add_people(rt.db, Person(ANA))
    emulator.fail("users.lookupByEmail", error="internal_error")
    status, answer = await hooks.send(event_id="e-1")
    assert status == 503
    assert "internal_error" in answer["error"] and "send the event again later" in answer["error"]
    assert await _stored(rt) == (0, 0)

    status, answer = await hooks.send(event_id="e-1")
    assert status == 202 and len(answer["scheduled"]) == 2


# idempotency


async def test_a_resend_with_the_same_event_id_gets_the_same_answer(
    rt: Runtime, hooks: Hooks, ana: int
) -> None:
    first = await hooks.send(event_id="zendesk-4821-closed")
    again = await hooks.send(event_id="zendesk-4821-closed")
    changed = await hooks.send(event_id="zendesk-4821-closed", event="renewal_signed")
    assert first[0] == 202 and len(first[1]["scheduled"]) == 2
    assert again == (200, first[1]) and changed == (200, first[1])
    assert await _stored(rt) == (2, 1)
    async with rt.db.session() as session:
        ingested = (await session.execute(select(IngestedEvent))).scalar_one()
    assert (ingested.event, ingested.email, ingested.result) == ("ticket_closed", ANA, first[1])
    assert ingested.occurred_at == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


async def test_ten_concurrent_resends_create_one_set_of_invitations(
    rt: Runtime, hooks: Hooks, ana: int
) -> None:
    answers = await asyncio.gather(*(hooks.send(event_id="e-42") for _ in range(10)))
    assert sorted(status for status, _ in answers) == [200] * 9 + [202]
    bodies = {json.dumps(answer, sort_keys=True) for _, answer in answers}
    assert len(bodies) == 1
    assert await _stored(rt) == (2, 1)
    assert [i.status for i in await _invitations(rt)] == [S.SCHEDULED, S.WAITING]


# what is stored and delivered


async def test_the_context_is_stored_on_each_invitation(
    rt: Runtime, hooks: Hooks, ana: int
) -> None:
    context: dict[str, Any] = {"ticket": "T-4821", "priority": 2, "hours": 4.5, "vip": True}
    context |= {f"tag{n}": f"t{n}" for n in range(16)}  # 20 keys: the most allowed
    status, _ = await hooks.send(context=context)
    assert status == 202
    stored = [i.context for i in await _invitations(rt)]
    assert stored == [{"event": "ticket_closed", **context}] * 2


async def test_run_due_delivers_a_closed_tickets_survey_as_one_dm(
    rt: Runtime, hooks: Hooks, emulator: SlackEmulator
) -> None:
    emulator.add_user("U1", email=ANA, tz="Europe/London", locale="en-GB")
    await add_people(rt.db, Person(ANA))  # no Slack id yet: found by email
    status, answer = await hooks.send(event="ticket_closed")
    assert status == 202 and len(answer["scheduled"]) == 2
    async with rt.db.session() as session:
        contact = (await session.execute(select(Contact))).scalar_one()
    assert (contact.slack_user_id, contact.tz) == ("U1", "Europe/London")

    await run_due(rt)

    # One DM: the CSAT; its CES is asked in place once the CSAT is answered
    # (tests/e2e/test_follow_up_questions.py), no longer in a second DM.
    posts = emulator.calls_to("chat.postMessage", ok=True)
    assert [c.args["channel"] for c in posts] == ["U1"]
    shown = json.dumps([message["blocks"] for message in emulator.messages("U1")])
    assert "How satisfied were you with the support you received?" in shown
    assert "How easy was it to get your issue resolved?" not in shown
    assert [i.status for i in await _invitations(rt)] == [S.SENT, S.WAITING]


async def test_a_customer_in_the_accounts_shared_channel_is_found_for_an_event(
    rt: Runtime, hooks: Hooks, emulator: SlackEmulator
) -> None:
    emulator.add_user("U0MIA", email=ANA, team_id="TCUSTOMER", tz="Asia/Kuala_Lumpur")
    emulator.add_channel("C0ACMESHARED", ["U0MIA"])
    await add_people(rt.db, Person(ANA))
    async with rt.db.transaction() as session:
        await session.execute(update(Account).values(slack_channel="C0ACMESHARED"))
    status, answer = await hooks.send()
    assert status == 202 and answer["skipped"] is None and answer["scheduled"]
    async with rt.db.session() as session:
        contact = (await session.execute(select(Contact))).scalar_one()
    assert (contact.slack_user_id, contact.slack_team_id) == ("U0MIA", "TCUSTOMER")
