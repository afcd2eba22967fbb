"""Zendesk end to end: a signed webhook (real HTTP to the app) asks the requester one CSAT by
DM, the tap (signed /slack/events) goes back to the ticket in the local Zendesk emulator as
one private note and one tag, exactly once under webhook retries, 429 / 503 and a worker
killed mid-call; a forged webhook stores nothing; the export's poll picks up what a lost
webhook missed without doubling what the webhook took; sampling; bad credentials exit 2."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy import select, update

from blocks.digest import digest_text
from blocks.ids import CallbackId
from bot.core.config import Settings
from bot.core.runtime import Runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.devkit.zendesk_emulator import EMAIL, TOKEN, ZendeskEmulator
from bot.scheduler import drain, run_due
from bot.services import zendesk_push, zendesk_tickets
from bot.services.digest import build_digest
from storage.db import Database
from storage.models import Invitation, OutboxEvent, ZendeskSync, ZendeskTicket
from tests.e2e.conftest import STAFF
from tests.e2e.flows import tap
from tests.harness import (
    BOT_TOKEN,
    SIGNING_SECRET,
    SlackSender,
    cli_env,
    eventually,
    start_vocbot,
    vocbot,
)
from tests.payloads import view_submission
from tests.seed import Person, add_people

pytestmark = pytest.mark.postgres
SECRET = "zd-webhook-secret"


@pytest.fixture
async def zd(clock: FakeClock) -> AsyncIterator[ZendeskEmulator]:
    async with ZendeskEmulator(clock=clock) as running:
        yield running


@pytest.fixture
def settings(emulator: SlackEmulator, database_url: str, zd: ZendeskEmulator) -> Settings:
    return Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=emulator.api_url,
        database_url=database_url,
        voc_channel="CVOC",
        voc_staff=STAFF,
        zendesk_url=zd.url,
        zendesk_email=EMAIL,
        zendesk_token=SecretStr(TOKEN),
        zendesk_webhook_secret=SecretStr(SECRET),
    )


async def _people(rt: Runtime, emulator: SlackEmulator, *emails: str) -> None:
    for n, email in enumerate(emails, start=1):
        emulator.add_user(f"U{n}", email=email, name=email.split("@")[0].title())
    await add_people(rt.db, *(Person(email) for email in emails))


def _solved(
    zd: ZendeskEmulator, email: str, *, minutes: int = 90, ticket_id: int | None = None
) -> int:
    requester = zd.add_user(email.split("@")[0].title(), email)
    agent = zd.add_user("Sam Agent", "sam@support.test", role="agent")
    group = zd.add_group("Billing")
    form = zd.add_form("Billing question")
    ticket = zd.add_ticket(
        requester=requester, assignee=agent, group=group, form=form, ticket_id=ticket_id
    )
    zd.solve(ticket, minutes=minutes)
    return ticket


async def _invitations(db: Database) -> list[Invitation]:
    async with db.session() as session:
        return list((await session.execute(select(Invitation).order_by(Invitation.id))).scalars())


async def _tickets(db: Database) -> list[ZendeskTicket]:
    async with db.session() as session:
        query = select(ZendeskTicket).order_by(ZendeskTicket.ticket_id)
        return list((await session.execute(query)).scalars())


async def _notes_due(db: Database) -> list[OutboxEvent]:
    async with db.session() as session:
        query = select(OutboxEvent).where(OutboxEvent.sink == "zendesk")
        return list((await session.execute(query)).scalars())


async def _comment(slack: SlackSender, inv: Invitation, text: str) -> None:
    submission = view_submission(
        user="U1",
        callback_id=CallbackId.COMMENT_MODAL,
        private_metadata=str(inv.id),
        values={"survey.comment": {"survey.comment.input": {"value": text}}},
    )
    assert (await slack.interactive(submission))[0] == 200


async def _asked_by_webhook(
    rt: Runtime, emulator: SlackEmulator, zd: ZendeskEmulator, app_url: str
) -> tuple[int, Invitation]:
    """Ana's ticket solved; its webhook sent twice (Zendesk retries); the DM delivered."""
    await _people(rt, emulator, "ana@acme.test")
    ticket = _solved(zd, "ana@acme.test")
    hook = f"{app_url}/hooks/zendesk"
    status, body = await zd.send_webhook(hook, {"ticket_id": str(ticket)}, secret=SECRET)
    assert (status, body["decision"]) == (202, "asked")
    status, body = await zd.send_webhook(hook, {"ticket_id": str(ticket)}, secret=SECRET)
    assert (status, body) == (200, {"ticket_id": ticket, "seen_before": True})
    await drain(rt)
    [csat, ces] = await _invitations(rt.db)
    assert (csat.kind, ces.kind) == ("csat", "ces")
    assert csat.context is not None
    assert csat.context["agent"] == "Sam Agent" and csat.context["group"] == "Billing"
    assert csat.context["issue_type"] == "Billing question"
    assert csat.context["resolution_minutes"] == 90
    assert len(emulator.messages(csat.dm_channel or "")) == 1  # one DM
    return ticket, csat


async def test_a_signed_webhook_asks_once_and_the_answer_goes_back_as_one_note(
    rt: Runtime,
    clock: FakeClock,
    emulator: SlackEmulator,
    slack: SlackSender,
    zd: ZendeskEmulator,
    app_url: str,
) -> None:
    ticket, csat = await _asked_by_webhook(rt, emulator, zd, app_url)
    await tap(slack, emulator, csat, 2)
    await eventually(lambda: _notes_due(rt.db))
    await _comment(slack, csat, "Took three emails")
    zd.fail("ticket.update", 429, times=1, retry_after=0)  # Zendesk's rate limit
    await run_due(rt)
    [note] = zd.notes(ticket)
    assert "Customer satisfaction: 2 of 5" in note
    assert 'Comment: "Took three emails"' in note
    assert "Follow-up case in Slack: https://" in note  # the unhappy answer's #voc card
    assert zd.tickets[ticket]["tags"] == ["voc_csat_2"]
    assert len(zd.calls_to("ticket.update")) == 2  # the 429, then the write

    clock.advance(timedelta(hours=1))
    await run_due(rt)  # delivered: nothing more
    status, _body = await zd.send_webhook(
        f"{app_url}/hooks/zendesk", {"ticket_id": str(ticket)}, secret=SECRET
    )
    await drain(rt)
    assert status == 200 and len(await _invitations(rt.db)) == 2
    assert len(zd.notes(ticket)) == 1


async def test_the_note_waits_for_the_why_and_survives_429s_and_a_503(
    rt: Runtime,
    clock: FakeClock,
    emulator: SlackEmulator,
    slack: SlackSender,
    zd: ZendeskEmulator,
    app_url: str,
) -> None:
    ticket, csat = await _asked_by_webhook(rt, emulator, zd, app_url)
    await tap(slack, emulator, csat, 5)
    await eventually(lambda: _notes_due(rt.db))
    await run_due(rt)
    assert zd.notes(ticket) == []  # the "why" may still come
    zd.fail("ticket.update", 429, times=7, retry_after=0)  # more than the client's retries
    clock.advance(zendesk_push.NOTE_WAIT)
    await run_due(rt)
    assert zd.notes(ticket) == []
    [event] = await _notes_due(rt.db)
    assert event.attempts == 1 and event.delivered_at is None
    clock.advance(timedelta(minutes=30))
    zd.fail("ticket.update", 503)  # once: the client retries it
    await run_due(rt)  # tried before: the ticket is read first, then written once
    [note] = zd.notes(ticket)
    assert "5 of 5" in note and "No comment." in note and "case" not in note
    assert zd.tickets[ticket]["tags"] == ["voc_csat_5"]
    assert zd.calls_to("comments.get")


async def test_a_forged_webhook_is_refused_and_stores_nothing(
    rt: Runtime, emulator: SlackEmulator, zd: ZendeskEmulator, app_url: str
) -> None:
    await _people(rt, emulator, "ana@acme.test")
    ticket = _solved(zd, "ana@acme.test")
    hook = f"{app_url}/hooks/zendesk"
    status, body = await zd.send_webhook(
        hook, {"ticket_id": str(ticket)}, secret=SECRET, forged=True
    )
    assert status == 401 and "signature" in body["error"]
    async with aiohttp.ClientSession() as session:  # unsigned: refused the same way
        async with session.post(hook, json={"ticket_id": ticket}) as answer:
            assert answer.status == 401
        rt.settings.zendesk_webhook_secret = None  # not set up: off, said so
        async with session.post(hook, json={"ticket_id": ticket}) as answer:
            assert answer.status == 503
            assert "ZENDESK_WEBHOOK_SECRET" in (await answer.json())["error"]
    assert await _tickets(rt.db) == [] and await _invitations(rt.db) == []
    assert zd.calls == []  # not even the ticket was read


async def test_polling_takes_what_a_lost_webhook_missed_and_never_doubles(
    rt: Runtime, clock: FakeClock, emulator: SlackEmulator, zd: ZendeskEmulator, app_url: str
) -> None:
    await _people(rt, emulator, "ana@acme.test", "bo@acme.test")
    by_hook = _solved(zd, "ana@acme.test")
    status, _ = await zd.send_webhook(
        f"{app_url}/hooks/zendesk", {"ticket_id": by_hook}, secret=SECRET
    )
    assert status == 202
    lost = _solved(zd, "bo@acme.test")  # its webhook never arrived
    zd.add_ticket(requester=zd.add_user("Cy", "cy@acme.test"))  # open: not asked
    clock.advance(timedelta(minutes=5))

    summary = await zendesk_tickets.sync(rt, rt.now())

    assert (summary.asked, summary.seen_before, summary.solved) == (1, 1, 2)
    assert [t.ticket_id for t in await _tickets(rt.db)] == [by_hook, lost]
    assert len(await _invitations(rt.db)) == 4  # a CSAT and a CES each, no more
    clock.advance(timedelta(minutes=5))
    again = await zendesk_tickets.sync(rt, rt.now())  # from the stored cursor
    assert (again.solved, again.asked) == (0, 0)
    assert len(await _invitations(rt.db)) == 4


async def test_one_solved_ticket_in_n_is_asked_and_never_twice_within_the_fatigue_window(
    rt: Runtime, clock: FakeClock, emulator: SlackEmulator, zd: ZendeskEmulator
) -> None:
    rt.settings.zendesk_survey_every = 3
    await _people(rt, emulator, "ana@acme.test", "bo@acme.test")
    for ticket_id, email in ((3, "ana@acme.test"), (4, "bo@acme.test"), (5, "bo@acme.test")):
        _solved(zd, email, ticket_id=ticket_id)
    _solved(zd, "ana@acme.test", ticket_id=6)  # asked by rule, but Ana was asked just now
    clock.advance(timedelta(minutes=5))

    await zendesk_tickets.sync(rt, rt.now())

    decisions = {t.ticket_id: t.decision for t in await _tickets(rt.db)}
    assert decisions == {3: "asked", 4: "sampled out", 5: "sampled out", 6: "fatigue"}
    assert [i.kind for i in await _invitations(rt.db) if i.status != "skipped"] == ["csat", "ces"]


async def test_bad_credentials_or_an_unknown_subdomain_exit_2_writing_nothing(
    rt: Runtime, emulator: SlackEmulator, zd: ZendeskEmulator, database_url: str, tmp_path: Path
) -> None:
    await rt.db.upgrade()
    env = cli_env(
        api_url=emulator.api_url,
        database_url=database_url,
        home=tmp_path,
        ZENDESK_URL=zd.url,
        ZENDESK_EMAIL=EMAIL,
        ZENDESK_TOKEN="wrong-secret-token",
    )
    code, out, err = await vocbot(env, "zendesk", "sync", cwd=tmp_path)
    assert code == 2 and out == ""
    assert err.strip().count("\n") == 0 and "ZENDESK_TOKEN" in err
    assert "wrong-secret-token" not in err

    env |= {"ZENDESK_URL": f"{zd.url}/no-such-account", "ZENDESK_TOKEN": TOKEN}
    code, out, err = await vocbot(env, "zendesk", "sync", cwd=tmp_path)
    assert code == 2 and "ZENDESK_URL" in err and err.strip().count("\n") == 0
    async with rt.db.session() as session:
        assert (await session.execute(select(ZendeskSync))).first() is None
    assert await _tickets(rt.db) == []

    env["ZENDESK_URL"] = zd.url
    zd.clock = lambda: datetime.now(UTC)  # the process polls on the wall clock
    code, out, err = await vocbot(env, "zendesk", "sync", cwd=tmp_path)
    assert code == 0, err
    assert out == "Zendesk synced: 1 pages, 0 solved tickets (nothing new; 0 seen before)\n"


@pytest.mark.slow
async def test_a_worker_killed_mid_note_and_restarted_writes_the_note_once(
    rt: Runtime,
    emulator: SlackEmulator,
    slack: SlackSender,
    zd: ZendeskEmulator,
    app_url: str,
    database_url: str,
    tmp_path: Path,
) -> None:
    ticket, csat = await _asked_by_webhook(rt, emulator, zd, app_url)
    await tap(slack, emulator, csat, 4)
    await eventually(lambda: _notes_due(rt.db))
    await _comment(slack, csat, "Quick fix")  # due now
    env = cli_env(
        api_url=emulator.api_url,
        database_url=database_url,
        home=tmp_path,
        SCHEDULER_TICK="1s",
        VOC_CHANNEL="CVOC",
        ZENDESK_URL=zd.url,
        ZENDESK_EMAIL=EMAIL,
        ZENDESK_TOKEN=TOKEN,
    )
    zd.delay("ticket.update", 4)
    out = asyncio.subprocess.DEVNULL
    first = await start_vocbot(env, tmp_path, "worker", stdout=out, stderr=out)
    try:
        await eventually(lambda: _tried(rt.db), timeout=60)
        await eventually(lambda: zd.notes(ticket), timeout=10)  # Zendesk took the write
    finally:
        first.kill()  # SIGKILL mid-call: no answer seen, the lease left behind
        await first.wait()
    [cut_off] = await _notes_due(rt.db)
    assert cut_off.delivered_at is None and cut_off.tried_at is not None
    zd.delay("ticket.update", 0)
    async with rt.db.transaction() as session:  # the lease, longer than any call, runs out
        await session.execute(
            update(OutboxEvent).where(OutboxEvent.sink == "zendesk").values(lease_until=None)
        )

    second = await start_vocbot(env, tmp_path, "worker", stdout=out, stderr=out)
    try:
        await eventually(lambda: _delivered(rt.db), timeout=60)
    finally:
        second.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.wait(), 60)

    assert len(zd.notes(ticket)) == 1 and zd.tickets[ticket]["tags"] == ["voc_csat_4"]
    assert zd.calls_to("comments.get")  # the restarted worker looked it up first


async def _tried(db: Database) -> bool:
    return any(e.tried_at is not None for e in await _notes_due(db))


async def _delivered(db: Database) -> bool:
    events = await _notes_due(db)
    return bool(events) and all(e.delivered_at is not None for e in events)


async def test_the_digest_coaches_by_agent_issue_type_and_resolution_time(
    rt: Runtime, clock: FakeClock, emulator: SlackEmulator, slack: SlackSender, zd: ZendeskEmulator
) -> None:
    emails = ("ana@acme.test", "bo@acme.test", "cy@acme.test")
    await _people(rt, emulator, *emails)
    for email, minutes in zip(emails, (90, 600, 5000), strict=True):
        _solved(zd, email, minutes=minutes)  # under 4 hours, 4 to 24 hours, over 3 days
    clock.advance(timedelta(minutes=5))
    await zendesk_tickets.sync(rt, rt.now())
    await drain(rt)
    csats = [i for i in await _invitations(rt.db) if i.kind == "csat"]
    for n, (inv, score) in enumerate(zip(csats, (5, 4, 1), strict=True), start=1):
        await tap(slack, emulator, inv, score, user=f"U{n}")
    await eventually(lambda: _count_notes_due(rt.db, 3))

    text = digest_text(await build_digest(rt, rt.now() + timedelta(hours=1)))

    assert "  Sam Agent: 3.3 of 5 from 3 answers\n" in text
    assert "  Billing question: 3.3 of 5 from 3 answers\n" in text
    assert (
        "CSAT by resolution time (90 days, Zendesk tickets)\n"
        "--------------------------------------------------\n"
        "  over 3 days: 1.0 of 5 from 1 answers\n"
        "  4 to 24 hours: 4.0 of 5 from 1 answers\n"
        "  under 4 hours: 5.0 of 5 from 1 answers\n"
    ) in text


async def _count_notes_due(db: Database, n: int) -> bool:
    return len(await _notes_due(db)) >= n
