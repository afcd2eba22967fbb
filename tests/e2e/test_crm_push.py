"""The push to HubSpot end to end: signed taps through /slack/events, the outbox, the real
connector against the local HubSpot emulator. A score reaches the contact exactly once under
a 429, a 503 and a delivery cut off mid-call; a detractor's note carries the card's link and,
later, the case's outcome; `forget` clears what was pushed; failures dead-letter."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select, update

from blocks.ids import CallbackId
from bot.core.config import Settings
from bot.core.runtime import Runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.devkit.hubspot_emulator import TOKEN, HubSpotEmulator
from bot.scheduler import run_due
from bot.services import crm_admin, crm_push, privacy
from storage.db import Database
from storage.models import AuditEntry, CrmNote, FollowUpCase, Invitation, OutboxEvent
from tests.e2e.conftest import STAFF
from tests.e2e.flows import count_crm_events, crm_events, log_outcome, survey, tap
from tests.harness import (
    BOT_TOKEN,
    SIGNING_SECRET,
    SlackSender,
    cli_env,
    eventually,
    start_vocbot,
)
from tests.payloads import view_submission

pytestmark = pytest.mark.postgres
UPDATE = "contacts.batch_update"


@pytest.fixture
async def hub() -> AsyncIterator[HubSpotEmulator]:
    async with HubSpotEmulator() as running:
        yield running


@pytest.fixture
def settings(emulator: SlackEmulator, database_url: str, hub: HubSpotEmulator) -> Settings:
    return Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=emulator.api_url,
        database_url=database_url,
        voc_channel="CVOC",
        voc_staff=STAFF,
        crm="hubspot",
        hubspot_token=SecretStr(TOKEN),
        hubspot_api_url=hub.url,
    )


@pytest.fixture
async def ids(rt: Runtime, hub: HubSpotEmulator) -> tuple[str, str]:
    """Acme and Ana in HubSpot, with VoC bot's properties made by `crm setup`."""
    result = await crm_admin.setup(rt)
    assert not result.by_hand
    company = hub.add_company({"name": "Acme", "domain": "acme.test"})
    contact = hub.add_contact({"email": "ana@acme.test", "firstname": "Ana"}, company)
    return contact, company


def scores(hub: HubSpotEmulator, contact: str) -> list[str]:
    return [value for name, value in hub.writes_to("contacts", contact) if name == "voc_last_score"]


async def answered(
    rt: Runtime,
    emulator: SlackEmulator,
    slack: SlackSender,
    ids: tuple[str, str],
    score: int,
    *,
    synced: bool = True,
) -> None:
    """Ana taps `score` on her survey; the tap's CRM events are in the outbox."""
    contact, company = ids
    inv = await survey(
        rt, emulator, contact_crm_id=contact if synced else None, company_crm_id=company
    )
    await tap(slack, emulator, inv, score)
    await eventually(lambda: count_crm_events(rt.db, 2))


async def test_a_tap_reaches_the_contact_and_company_once_under_a_429(
    rt: Runtime,
    emulator: SlackEmulator,
    slack: SlackSender,
    hub: HubSpotEmulator,
    ids: tuple[str, str],
) -> None:
    contact, company = ids
    await answered(rt, emulator, slack, ids, 8)
    hub.fail(UPDATE, 429, times=2, retry_after=0)  # the burst limit, twice

    await run_due(rt)

    assert scores(hub, contact) == ["8"]
    fields = hub.objects["contacts"][contact].properties
    assert fields["voc_last_survey"] == "nps"
    assert fields["voc_last_answered_at"].startswith(f"{rt.now():%Y-%m-%dT%H:%M}")
    assert "voc_last_comment" not in fields  # no comment given
    assert hub.objects["companies"][company].properties["voc_nps"] == "0"  # one passive
    assert hub.objects["companies"][company].properties["voc_open_cases"] == "0"
    assert all(e.delivered_at is not None for e in await crm_events(rt.db))

    await run_due(rt)  # nothing is due any more: no second write
    assert scores(hub, contact) == ["8"]


async def test_a_503_that_outlasts_the_retries_makes_the_push_due_again_then_once(
    rt: Runtime,
    clock: FakeClock,
    emulator: SlackEmulator,
    slack: SlackSender,
    hub: HubSpotEmulator,
    ids: tuple[str, str],
) -> None:
    contact, _company = ids
    await answered(rt, emulator, slack, ids, 9)
    hub.fail(UPDATE, 503, times=7, retry_after=0)  # more than the connector's own retries

    await run_due(rt)

    assert scores(hub, contact) == []
    status = await crm_admin.status(rt)
    assert status.push.pending == 2
    [failing] = status.push.failing
    assert failing.type == crm_push.CONTACT and "HTTP 503" in (failing.last_error or "")

    await run_due(rt)  # not due yet: the backoff holds it
    assert scores(hub, contact) == []
    clock.advance(timedelta(minutes=2))
    await run_due(rt)

    assert scores(hub, contact) == ["9"]
    assert (await crm_admin.status(rt)).push.pending == 0


async def test_a_delivery_cut_off_mid_call_is_looked_up_not_written_again(
    rt: Runtime,
    clock: FakeClock,
    emulator: SlackEmulator,
    slack: SlackSender,
    hub: HubSpotEmulator,
    ids: tuple[str, str],
) -> None:
    """The process dies after HubSpot took the write and before `delivered_at`: the next
    claim reads the contact and finds this answer already there."""
    contact, _company = ids
    await answered(rt, emulator, slack, ids, 8)
    hub.delay(UPDATE, 0.5)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(crm_push.deliver_due(rt, rt.now()), 0.2)  # dies mid-call
    await eventually(lambda: scores(hub, contact) == ["8"])  # HubSpot took it all the same
    hub.delay(UPDATE, 0)
    [pending, _company_event] = [e for e in await crm_events(rt.db) if e.delivered_at is None]
    assert pending.tried_at is not None

    clock.advance(crm_push.LEASE + timedelta(seconds=1))  # the dead process's lease runs out
    await run_due(rt)

    assert scores(hub, contact) == ["8"]
    assert hub.calls_to("contacts.get")  # it looked before writing
    assert all(e.delivered_at is not None for e in await crm_events(rt.db))


async def test_an_older_answer_never_overwrites_a_newer_one(
    rt: Runtime,
    clock: FakeClock,
    emulator: SlackEmulator,
    slack: SlackSender,
    hub: HubSpotEmulator,
    ids: tuple[str, str],
) -> None:
    contact, _company = ids
    await answered(rt, emulator, slack, ids, 10)
    [event, _company_event] = await crm_events(rt.db)
    # a later answer already in HubSpot (say, pushed by a delivery that overtook this one)
    later = clock() + timedelta(hours=1)
    hub.modify("contacts", contact, voc_last_answered_at=later.isoformat(), voc_last_score="4")
    async with rt.db.transaction() as session:  # this event was tried before
        await session.execute(
            update(OutboxEvent).where(OutboxEvent.id == event.id).values(tried_at=clock())
        )
    clock.advance(timedelta(seconds=1))

    await run_due(rt)

    assert scores(hub, contact) == []
    assert hub.objects["contacts"][contact].properties["voc_last_score"] == "4"


async def test_a_contact_without_a_crm_id_is_found_by_email_and_one_missing_is_counted(
    rt: Runtime,
    emulator: SlackEmulator,
    slack: SlackSender,
    hub: HubSpotEmulator,
    ids: tuple[str, str],
) -> None:
    contact, _company = ids
    await answered(rt, emulator, slack, ids, 9, synced=False)
    await run_due(rt)
    assert scores(hub, contact) == ["9"]

    hub.archive("contacts", contact)  # gone from HubSpot: nobody to write to
    async with rt.db.transaction() as session:
        await crm_push.comment_changed(session, settings=rt.settings, response_id=1, now=rt.now())
    await run_due(rt)
    status = await crm_admin.status(rt)
    assert status.push.pending == 0 and status.push.not_in_crm == 1


async def test_a_comment_is_pushed_and_blanked_when_retention_drops_it(
    rt: Runtime,
    clock: FakeClock,
    emulator: SlackEmulator,
    slack: SlackSender,
    hub: HubSpotEmulator,
    ids: tuple[str, str],
) -> None:
    contact, _company = ids
    await answered(rt, emulator, slack, ids, 8)
    await run_due(rt)
    [inv] = await _invitations(rt.db)
    submission = view_submission(  # "Tell us why", typed after the tap
        user="U1",
        callback_id=CallbackId.COMMENT_MODAL,
        private_metadata=str(inv.id),
        values={"survey.comment": {"survey.comment.input": {"value": "Great support"}}},
    )
    assert (await slack.interactive(submission))[0] == 200
    await eventually(lambda: count_crm_events(rt.db, 3))
    await run_due(rt)
    assert hub.objects["contacts"][contact].properties["voc_last_comment"] == "Great support"
    assert scores(hub, contact) == ["8", "8"]  # the answer, then the answer with its why

    rt.settings.retain_comments = timedelta(days=30)
    clock.advance(timedelta(days=31))
    await run_due(rt)  # blanks the verbatim, and queues clearing it in HubSpot
    await run_due(rt)

    assert "voc_last_comment" not in hub.objects["contacts"][contact].properties
    assert hub.writes_to("contacts", contact)[-1] == ("voc_last_comment", "")
    assert hub.objects["contacts"][contact].properties["voc_last_score"] == "8"


async def test_a_detractor_note_carries_the_card_link_and_then_the_outcome(
    rt: Runtime,
    emulator: SlackEmulator,
    slack: SlackSender,
    hub: HubSpotEmulator,
    ids: tuple[str, str],
) -> None:
    contact, company = ids
    await answered(rt, emulator, slack, ids, 3)
    await eventually(lambda: count_crm_events(rt.db, 4))  # fields, company, note, company
    case = await eventually(lambda: _posted_case(rt.db))

    await run_due(rt)

    [note] = hub.notes()
    body = note.properties["hs_note_body"]
    assert "NPS 3/10 (detractor)" in body
    link = f"https://acme.slack.com/archives/{case.channel}/p{case.message_ts.replace('.', '')}"
    assert link in body
    assert note.contacts == [contact] and note.companies == [company]
    assert hub.objects["companies"][company].properties["voc_open_cases"] == "1"
    async with rt.db.session() as session:
        [row] = (await session.execute(select(CrmNote))).scalars()
    assert row.case_id == case.id and row.crm_note_id == note.id

    await log_outcome(slack, case.id, "recovered", "Called Ana; the export is fixed.")
    await eventually(lambda: count_crm_events(rt.db, 6))
    await run_due(rt)

    [note] = hub.notes()
    assert "Recovered. Called Ana; the export is fixed." in note.properties["hs_note_body"]
    assert hub.objects["companies"][company].properties["voc_open_cases"] == "0"
    assert len(hub.calls_to("notes.create")) == 1

    await log_outcome(slack, case.id, "in_progress", "She wrote back: still slow.")  # reopens
    await eventually(lambda: count_crm_events(rt.db, 7))
    await run_due(rt)
    assert hub.objects["companies"][company].properties["voc_open_cases"] == "1"
    assert "still slow" not in hub.notes()[0].properties["hs_note_body"]  # not an outcome


async def _invitations(db: Database) -> list[Invitation]:
    async with db.session() as session:
        return list((await session.execute(select(Invitation))).scalars())


async def _posted_case(db: Database) -> FollowUpCase | None:
    async with db.session() as session:
        case = (await session.execute(select(FollowUpCase))).scalar_one_or_none()
    return case if case is not None and case.message_ts else None


async def test_forget_clears_the_fields_and_deletes_the_notes_audited(
    rt: Runtime,
    emulator: SlackEmulator,
    slack: SlackSender,
    hub: HubSpotEmulator,
    ids: tuple[str, str],
) -> None:
    contact, _company = ids
    await answered(rt, emulator, slack, ids, 2)
    await eventually(lambda: _posted_case(rt.db))
    await run_due(rt)
    assert len(hub.notes()) == 1

    forgotten = await privacy.forget(rt, "ana@acme.test")

    assert forgotten.crm is not None
    assert forgotten.crm.fields_cleared and forgotten.crm.notes_deleted == 1
    assert forgotten.crm.not_cleared == []
    assert hub.notes() == []
    fields = hub.objects["contacts"][contact].properties
    assert not any(name.startswith("voc_") for name in fields)
    async with rt.db.session() as session:
        audit = list((await session.execute(select(AuditEntry))).scalars())
        assert list((await session.execute(select(CrmNote))).scalars()) == []
    crm_audit = [a for a in audit if a.action == "forget in CRM"]
    assert crm_audit and "ana@" not in (crm_audit[0].detail or "")
    assert "fields cleared, 1 notes deleted" in (crm_audit[0].detail or "")


async def test_forget_with_the_crm_down_says_so_and_keeps_retrying(
    rt: Runtime,
    clock: FakeClock,
    emulator: SlackEmulator,
    slack: SlackSender,
    hub: HubSpotEmulator,
    ids: tuple[str, str],
) -> None:
    contact, _company = ids
    await answered(rt, emulator, slack, ids, 9)
    await run_due(rt)
    async with rt.db.transaction() as session:  # a comment not pushed yet
        await crm_push.comment_changed(session, settings=rt.settings, response_id=1, now=rt.now())
    hub.fail(UPDATE, 503, times=7, retry_after=0)

    forgotten = await privacy.forget(rt, "ana@acme.test")

    assert forgotten.crm is not None and forgotten.crm.retrying
    [line] = forgotten.crm.not_cleared
    assert "voc_* fields" in line and "HTTP 503" in line
    pending = [e for e in await crm_events(rt.db) if e.delivered_at is None]
    assert [e.type for e in pending] == [crm_push.FORGET]  # the person's own pushes are gone
    assert "ana" not in str(pending[0].payload)

    clock.advance(timedelta(minutes=2))
    await run_due(rt)
    assert not any(n.startswith("voc_") for n in hub.objects["contacts"][contact].properties)
    assert [e for e in await crm_events(rt.db) if e.delivered_at is None] == []


async def test_a_push_failing_past_the_give_up_age_is_a_dead_letter_until_retried(
    rt: Runtime,
    clock: FakeClock,
    emulator: SlackEmulator,
    slack: SlackSender,
    hub: HubSpotEmulator,
    ids: tuple[str, str],
) -> None:
    contact, _company = ids
    await answered(rt, emulator, slack, ids, 7)
    hub.fail(UPDATE, 503, times=1000, retry_after=0)
    await run_due(rt)
    clock.advance(rt.settings.webhook_give_up + timedelta(hours=2))
    await run_due(rt)

    status = await crm_admin.status(rt)
    [dead] = status.push.dead
    assert dead.type == crm_push.CONTACT and "HTTP 503" in (dead.last_error or "")
    assert status.push.pending == 1  # the company's: it waits while HubSpot is down

    hub.fail(UPDATE, 503, times=0)
    await crm_admin.retry(rt, dead.id)
    await run_due(rt)
    assert scores(hub, contact) == ["7"]
    assert (await crm_admin.status(rt)).push.dead == []


async def test_a_bad_token_pauses_the_push_with_every_event_still_due(
    rt: Runtime,
    clock: FakeClock,
    emulator: SlackEmulator,
    slack: SlackSender,
    hub: HubSpotEmulator,
    ids: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    contact, _company = ids
    await answered(rt, emulator, slack, ids, 9)
    rt.settings.hubspot_token = SecretStr("pat-na1-revoked")
    crm_push._paused.clear()  # said once a process: this test's process may have said it

    await run_due(rt)
    await run_due(rt)

    errors = [r for r in caplog.records if r.levelname == "ERROR" and "paused" in r.getMessage()]
    assert len(errors) == 1 and "HUBSPOT_TOKEN" in errors[0].getMessage()
    assert "pat-na1" not in caplog.text
    assert (await crm_admin.status(rt)).push.pending == 2
    events = await crm_events(rt.db)
    assert all(e.attempts == 0 and e.lease_until is None for e in events)
    held = (await crm_admin.status(rt)).push.failing  # those that met it, and why
    assert held and all("HUBSPOT_TOKEN" in (e.last_error or "") for e in held)

    rt.settings.hubspot_token = SecretStr(TOKEN)
    clock.advance(crm_push.SETUP_RETRY)
    await run_due(rt)
    assert scores(hub, contact) == ["9"]
    assert (await crm_admin.status(rt)).push.pending == 0


async def test_a_value_the_crm_refuses_fails_that_push_alone_and_goes_once_it_is_allowed(
    rt: Runtime,
    clock: FakeClock,
    emulator: SlackEmulator,
    slack: SlackSender,
    hub: HubSpotEmulator,
    ids: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    contact, company = ids
    # An admin remade voc_last_survey as a dropdown that lacks "nps".
    hub.add_property("contacts", "voc_last_survey", options=["csat", "ces"])
    await answered(rt, emulator, slack, ids, 7)
    crm_push._paused.clear()

    await run_due(rt)

    assert scores(hub, contact) == []  # HubSpot refused the whole write of that contact
    assert [n for n, _ in hub.writes_to("companies", company) if n == "voc_nps"]  # not held up
    assert not [r for r in caplog.records if "paused" in r.getMessage()]
    [failing] = (await crm_admin.status(rt)).push.failing
    assert failing.type == crm_push.CONTACT
    assert "voc_last_survey" in (failing.last_error or "")
    assert "INVALID_OPTION" in (failing.last_error or "")

    hub.add_property("contacts", "voc_last_survey", options=["nps", "csat", "ces"])
    clock.advance(timedelta(hours=1))  # past the retry's backoff
    await run_due(rt)
    assert scores(hub, contact) == ["7"]
    assert (await crm_admin.status(rt)).push.pending == 0


async def test_nothing_is_queued_for_the_crm_when_crm_is_not_set(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, hub: HubSpotEmulator
) -> None:
    rt.settings.crm = None
    inv = await survey(rt, emulator, contact_crm_id="1", company_crm_id="2")
    await tap(slack, emulator, inv, 3)
    await eventually(lambda: _posted_case(rt.db))
    assert await crm_events(rt.db) == []
    assert hub.calls == []


@pytest.mark.slow
async def test_a_worker_killed_mid_call_and_restarted_writes_the_score_once(
    rt: Runtime,
    emulator: SlackEmulator,
    slack: SlackSender,
    hub: HubSpotEmulator,
    ids: tuple[str, str],
    database_url: str,
    tmp_path: Path,
) -> None:
    contact, _company = ids
    await answered(rt, emulator, slack, ids, 8)
    [contact_event, _company_event] = await crm_events(rt.db)
    env = cli_env(
        api_url=emulator.api_url,
        database_url=database_url,
        home=tmp_path,
        SCHEDULER_TICK="1s",
        VOC_CHANNEL="CVOC",
        CRM="hubspot",
        HUBSPOT_TOKEN=TOKEN,
        HUBSPOT_API_URL=hub.url,
    )
    hub.delay(UPDATE, 4)
    out = asyncio.subprocess.DEVNULL
    first = await start_vocbot(env, tmp_path, "worker", stdout=out, stderr=out)
    try:
        await eventually(lambda: _tried(rt.db, contact_event.id), timeout=60)
        await asyncio.sleep(1)  # the update is at HubSpot, which holds its answer
    finally:
        first.kill()  # SIGKILL mid-call: no cleanup, the lease left behind
        await first.wait()
    [cut_off] = [e for e in await crm_events(rt.db) if e.id == contact_event.id]
    assert cut_off.delivered_at is None and cut_off.tried_at is not None  # killed mid-call
    # HubSpot took the write the dead worker sent (it never saw the answer); the lease,
    # longer than any call, runs out
    await eventually(lambda: scores(hub, contact) == ["8"], timeout=10)
    hub.delay(UPDATE, 0)
    async with rt.db.transaction() as session:
        await session.execute(
            update(OutboxEvent).where(OutboxEvent.sink == "crm").values(lease_until=None)
        )

    second = await start_vocbot(env, tmp_path, "worker", stdout=out, stderr=out)
    try:
        await eventually(lambda: _all_delivered(rt.db), timeout=60)
        await asyncio.sleep(1.5)  # a second write would show up here
    finally:
        second.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.wait(), 60)

    assert scores(hub, contact) == ["8"]
    assert hub.calls_to("contacts.get")  # the restarted worker looked it up first


async def _tried(db: Database, event_id: int) -> bool:
    async with db.session() as session:
        event = await session.get(OutboxEvent, event_id)
        return event is not None and event.tried_at is not None


async def _all_delivered(db: Database) -> bool:
    return all(e.delivered_at is not None for e in await crm_events(db))


async def test_a_connector_the_settings_cannot_make_pauses_the_push_too(
    rt: Runtime,
    emulator: SlackEmulator,
    slack: SlackSender,
    hub: HubSpotEmulator,
    ids: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    await answered(rt, emulator, slack, ids, 9)
    rt.settings.hubspot_token = None  # e.g. the secret store lost it
    crm_push._paused.clear()  # said once a process: this test's process may have said it

    await run_due(rt)

    assert any("HUBSPOT_TOKEN is not set" in r.getMessage() for r in caplog.records)
    events = await crm_events(rt.db)
    assert all(e.lease_until is None and e.delivered_at is None for e in events)
