"""`forget` end to end: the forgotten person is never asked again by any path, their survey
link is gone, their #voc card says the details were erased, and SQLite's files hold no copy."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from blocks.terminal import forgot
from bot.core.runtime import Runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.domain.admin_commands import AutopilotOn
from bot.domain.vocabulary import InvitationStatus, SurveyKind
from bot.scheduler import drain
from bot.services import autopilot, privacy
from bot.services.surveys import start_relationship_campaign
from storage.erasure import erased_address
from storage.models import FollowUpCase, Invitation, OutboxEvent, Response, SurveyLink
from tests.e2e.test_email_surveys import _csrf, browser, mail_rt, smtp  # noqa: F401
from tests.e2e.test_followups import VOC
from tests.e2e.test_ingest import Hooks, hooks  # noqa: F401  (the fixture)
from tests.e2e.test_milestones import _next_due
from tests.e2e.test_roles import _follow_up
from tests.harness import SlackSender, eventually
from tests.mail import SmtpServer, score_links, unsubscribe_link
from tests.payloads import block_action
from tests.seed import Person, add_people

pytestmark = pytest.mark.postgres
S = InvitationStatus
ANA = "ana@acme.test"
PHONE, HOME = "+60 12-345 6789", "ana.lim@home.test"


async def _invitations(rt: Runtime, contact_id: int) -> list[Invitation]:
    async with rt.db.session() as session:
        query = select(Invitation).where(Invitation.contact_id == contact_id)
        return list((await session.execute(query.order_by(Invitation.id))).scalars())


async def _count(rt: Runtime, model: type) -> int:
    async with rt.db.session() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_a_forgotten_contact_is_never_surveyed_again_by_any_path(
    mail_rt: Runtime,  # noqa: F811
    smtp: SmtpServer,  # noqa: F811
    hooks: Hooks,  # noqa: F811
    clock: FakeClock,
) -> None:
    """Fails before: 91 days on, `send` emailed erased-1@erased.invalid."""
    rt = mail_rt
    [ana] = await add_people(rt.db, Person(ANA, tz="UTC"))  # not in Slack: asked by email
    assert (await hooks.send(event="activated", occurred_at=clock.current.isoformat()))[0] < 300
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    await drain(rt)
    assert len(smtp.messages) == 1
    await privacy.forget(rt, ANA)
    before = {i.id for i in await _invitations(rt, ana)}

    await autopilot.turn_on(rt, AutopilotOn(SurveyKind.NPS, every_days=14))  # for everyone
    end = clock.current + timedelta(days=92)  # the day-90 milestone, past the 90-day fatigue
    while (due := await _next_due(rt, clock.current)) is not None and due <= end:
        clock.current = due  # each milestone and autopilot turn when it is due
        await drain(rt)
    clock.current = end
    report = await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    code, _ = await hooks.send(event="ticket_closed", occurred_at=clock.current.isoformat())
    assert code == 404  # her old address names nobody now
    code, _ = await hooks.send(
        event="ticket_closed", email=erased_address(ana), occurred_at=clock.current.isoformat()
    )
    assert code == 400  # and the one `forget` left is no address another system can use
    await drain(rt)

    assert len(smtp.messages) == 1
    assert report.created == 0 and report.skipped == {"opted out": 1}
    later = [i for i in await _invitations(rt, ana) if i.id not in before]
    assert {i.trigger for i in later} == {"relationship", "milestone"}
    assert any(i.campaign_id is None and i.trigger == "relationship" for i in later)  # autopilot
    assert {(i.status, i.skip_reason, i.sent_at) for i in later} == {(S.SKIPPED, "opted out", None)}


async def test_a_forgotten_persons_survey_link_is_gone_for_reading_and_answering(
    mail_rt: Runtime,  # noqa: F811
    smtp: SmtpServer,  # noqa: F811
    browser: aiohttp.ClientSession,  # noqa: F811
) -> None:
    """Fails before: the link still showed the form and the POST stored a new answer."""
    rt = mail_rt
    await add_people(rt.db, Person(ANA))
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    await drain(rt)
    [message] = smtp.messages
    link = score_links(message)[3]
    async with browser.get(link) as response:
        assert response.status == 200
        csrf = _csrf(await response.text())

    await privacy.forget(rt, ANA)

    form = {"csrf": csrf, "score": "3", "comment": f"Call me on {PHONE}"}
    for method, url, data in [
        ("GET", link, None),
        ("POST", link, form),
        ("GET", unsubscribe_link(message), None),
        ("POST", unsubscribe_link(message), {"List-Unsubscribe": "One-Click"}),
        ("POST", link.split("?")[0] + "/advocacy", {"csrf": csrf, "offer": "reference"}),
    ]:
        async with browser.request(method, url, data=data) as response:
            page = await response.text()
            assert response.status == 410, (method, url)
            assert "not valid any more" in page and "form" not in page
    async with browser.get(link.split("/s/")[0] + "/s/an-unknown-token") as response:
        assert response.status == 404  # a link that never was is still "not found"
    assert await _count(rt, Response) == 0
    assert await _count(rt, SurveyLink) == 0
    [invitation] = await _invitations(rt, 1)
    assert invitation.status == S.EXPIRED


async def _unhappy_ticket(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, sender: Hooks
) -> Invitation:
    """Ana's ticket (its context has her phone and another address) gets CSAT 1 from her; the
    support card is posted, and a follow-up naming her number closes it."""
    rt.settings.webhook_url = "http://127.0.0.1:9/hooks"  # outbox rows carry the context
    rt.settings.voc_admins = ["UCSM"]  # who logs the follow-up
    emulator.add_user("U1", email=ANA, name="Ana Lim")
    await add_people(rt.db, Person(ANA, "U1", tz="UTC"))
    context = {"ticket_id": "4521", "agent": "Sam", "phone": PHONE, "cc": HOME}
    code, _ = await sender.send(occurred_at=rt.now().isoformat(), context=context)
    assert code < 300
    await drain(rt)
    async with rt.db.session() as session:
        query = select(Invitation).where(Invitation.kind == "csat")
        invitation = (await session.execute(query)).scalar_one()
    tap = block_action(
        user="U1",
        action_id="survey.rate.1",
        value=f"{invitation.id}:1",
        channel=invitation.dm_channel or "",
        message_ts=invitation.message_ts or "",
        response_url=emulator.new_response_url(),
    )
    assert (await slack.interactive(tap))[0] == 200
    [card] = await eventually(lambda: emulator.messages(VOC))
    assert ANA in json.dumps(card)
    async with rt.db.session() as session:
        case_id = (await session.execute(select(FollowUpCase.id))).scalar_one()
    await slack.interactive(_follow_up("UCSM", case_id, "recovered", f"Called Ana on {PHONE}"))
    await eventually(lambda: _count_events(rt, "case.closed"))
    await eventually(  # the card shows the follow-up: nothing is left in flight
        lambda: [c for c in emulator.calls_to("chat.update") if c.args["channel"] == VOC]
    )
    return invitation


async def _count_events(rt: Runtime, type: str) -> int:
    async with rt.db.session() as session:
        query = select(func.count()).select_from(OutboxEvent).where(OutboxEvent.type == type)
        return (await session.execute(query)).scalar_one()


async def test_forget_updates_the_posted_card_and_erases_phones_and_emails_in_context_and_outbox(
    rt: Runtime,
    emulator: SlackEmulator,
    slack: SlackSender,
    hooks: Hooks,  # noqa: F811
) -> None:
    """Fails before: the card kept her name and email, the context and the webhook payloads
    kept her phone number and her other address."""
    invitation = await _unhappy_ticket(rt, emulator, slack, hooks)
    [card] = emulator.messages(VOC)

    changed = await privacy.forget(rt, ANA)

    assert changed.cards_redrawn == 1
    updates = [c for c in emulator.calls_to("chat.update", ok=True) if c.args["ts"] == card["ts"]]
    shown = json.dumps(updates[-1].args)
    assert "erased on request" in shown and "were erased at their request" in shown
    for gone in (ANA, PHONE):
        assert gone not in shown, gone
    [now_card] = emulator.messages(VOC)
    assert "erased on request" in json.dumps(now_card)
    async with rt.db.session() as session:
        context = (await session.get(Invitation, invitation.id)).context  # type: ignore[union-attr]
        payloads = json.dumps(list((await session.execute(select(OutboxEvent.payload))).scalars()))
    assert context["ticket_id"] == "4521" and context["agent"] == "Sam"  # type: ignore[index]
    for gone in (PHONE, HOME, ANA, "Called Ana"):
        assert gone not in json.dumps(context), gone
        assert gone not in payloads, gone


async def test_after_forget_the_sqlite_files_hold_no_copy_of_the_email(
    rt: Runtime,
    emulator: SlackEmulator,
    slack: SlackSender,
    hooks: Hooks,  # noqa: F811
    database_url: str,
    backend: str,
) -> None:
    """Fails before: the erased address was still in the `-wal` file's old frames."""
    if backend != "sqlite":
        pytest.skip("SQLite's own files")
    await _unhappy_ticket(rt, emulator, slack, hooks)
    path = Path(database_url.split("///", 1)[1])

    def raw() -> bytes:
        wal = path.with_name(path.name + "-wal")
        return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")

    assert ANA.encode() in raw() and PHONE.encode() in raw()
    changed = await privacy.forget(rt, ANA)
    assert not changed.wal_kept
    for gone in (ANA, PHONE, HOME):
        assert gone.encode() not in raw(), gone


async def test_a_card_slack_refused_is_named_and_forgetting_the_erased_address_redraws_it(
    rt: Runtime,
    emulator: SlackEmulator,
    slack: SlackSender,
    hooks: Hooks,  # noqa: F811
) -> None:
    await _unhappy_ticket(rt, emulator, slack, hooks)
    [card] = emulator.messages(VOC)
    emulator.fail("chat.update", error="channel_not_found")
    changed = await privacy.forget(rt, ANA)
    erased = erased_address(1)
    assert (changed.cards_refused, changed.again) == (1, erased)
    assert f"  #voc cards Slack did not update (run `forget {erased}` again): 1" in forgot(
        ANA, changed
    )
    assert ANA in json.dumps(emulator.messages(VOC))

    again = await privacy.forget(rt, erased)
    assert again.cards_redrawn == 1
    [now_card] = emulator.messages(VOC)
    assert now_card["ts"] == card["ts"] and "erased on request" in json.dumps(now_card)
    assert ANA not in json.dumps(now_card)
