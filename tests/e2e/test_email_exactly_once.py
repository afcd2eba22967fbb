"""Survey emails exactly once as far as SMTP allows: two delivering processes on one
database, a slow SMTP server, short leases; connections dropped before and after the
server's answer."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.app import build_web_app
from bot.core.config import Settings
from bot.core.runtime import Runtime, build_runtime, utcnow
from bot.domain.reports import DeliveryReport
from bot.domain.vocabulary import InvitationStatus
from bot.services import email_survey
from bot.services.surveys import start_relationship_campaign
from storage import invitations
from storage.db import Database
from storage.models import Contact, Invitation, SurveyLink
from tests.harness import eventually, serve
from tests.mail import SmtpServer, score_links, smtp_server
from tests.seed import Person, add_people

pytestmark = pytest.mark.postgres
S = InvitationStatus
LEASE = timedelta(seconds=1)
ANA = "ana@bulk.test"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def mail_settings(settings: Settings, smtp: SmtpServer) -> Settings:
    return settings.model_copy(
        update={
            "smtp_url": SecretStr(smtp.url()),
            "email_from": "Feedback <feedback@bulk.test>",
            "public_url": "http://127.0.0.1:9",
            "send_lease": LEASE,
        }
    )


@pytest.fixture
async def page_url(mail_settings: Settings, db: Database) -> AsyncIterator[str]:
    """The survey page, served by the app, where a link in an email must work."""
    rt = build_runtime(mail_settings, db=db)
    served = await serve(build_web_app(rt, scheduler=False))
    mail_settings.public_url = served.url
    yield served.url
    await served.stop()


async def _campaign(settings: Settings, db: Database, *emails: str) -> None:
    """Contacts Slack does not know: each is asked by email."""
    await add_people(db, *(Person(address, account="Bulk Co") for address in emails))
    report = await start_relationship_campaign(
        build_runtime(settings, db=db), kind="nps", now=utcnow(), send_now=True
    )
    assert report.by_email == len(emails)


async def _statuses(db: Database) -> Counter[str]:
    async with db.session() as session:
        return Counter((await session.execute(select(Invitation.status))).scalars())


async def _links(db: Database) -> dict[str, list[str]]:
    """Each contact's survey link hashes."""
    async with db.session() as session:
        rows = await session.execute(
            select(Contact.email, SurveyLink.token_hash)
            .join(Invitation, Invitation.contact_id == Contact.id)
            .join(SurveyLink, SurveyLink.invitation_id == Invitation.id)
            .where(SurveyLink.purpose == "survey")
        )
    links: dict[str, list[str]] = {}
    for address, token_hash in rows.all():
        links.setdefault(address, []).append(token_hash)
    return links


def _token(link: str) -> str:
    return link.split("/s/")[1].split("?")[0]


async def _process(rt: Runtime, db: Database, count: int) -> DeliveryReport:
    """One delivering process (serve's scheduler or the worker): reconcile, then deliver."""
    total = DeliveryReport()
    while await _statuses(db) != {S.SENT: count}:
        total = total + await email_survey.reconcile_stale(rt, utcnow())
        total = total + await email_survey.deliver_due(rt, utcnow())
        await asyncio.sleep(0.05)
    return total


async def test_two_processes_and_a_slow_server_email_each_contact_once_with_one_link(
    mail_settings: Settings,
    db: Database,
    database_url: str,
    smtp: SmtpServer,
    page_url: str,
) -> None:
    people = [f"c{i}@bulk.test" for i in range(15)]
    await _campaign(mail_settings, db, *people)
    smtp.captured.delay = 0.2  # 15 emails take three leases
    serve_db, worker_db = Database(database_url), Database(database_url)  # two processes
    try:
        processes = [
            _process(build_runtime(mail_settings, db=own), db, len(people))
            for own in (serve_db, worker_db)
        ]
        await asyncio.wait_for(asyncio.gather(*processes), 60)
    finally:
        await serve_db.dispose()
        await worker_db.dispose()
    received = Counter(rcpt for rcpts in smtp.captured.recipients for rcpt in rcpts)
    assert received == Counter(people)  # each contact exactly once
    links = await _links(db)
    async with aiohttp.ClientSession() as browser:
        for address in people:
            [message] = smtp.captured.to(address)
            token = _token(score_links(message)[7])
            assert links[address] == [email_survey.hash_token(token)]  # one link, this one
            async with browser.get(score_links(message)[7]) as page:
                assert page.status == 200 and 'value="7" checked' in await page.text()


async def test_a_pass_whose_rows_were_taken_over_sends_none_of_them(
    mail_settings: Settings, db: Database, smtp: SmtpServer
) -> None:
    people = [f"c{i}@bulk.test" for i in range(6)]
    await _campaign(mail_settings, db, *people)
    smtp.captured.delay = 0.3
    rt = build_runtime(mail_settings, db=db)
    sending = asyncio.create_task(email_survey.deliver_due(rt, utcnow()))
    await eventually(lambda: smtp.messages, timeout=10)
    async with db.transaction() as session:  # a process whose clock runs an hour ahead
        taken = await invitations.claim_stale_sending(
            session=session,
            now=utcnow() + timedelta(hours=1),
            lease=LEASE,
            limit=100,
            email=True,
            owner="other",
        )
    assert taken
    report = await sending  # the pass sees each taken row before its SMTP data: not sent
    assert len(smtp.messages) == report.sent < len(people)
    later = utcnow() + timedelta(hours=2)
    await email_survey.reconcile_stale(rt, later)  # the taken rows' lease ran out too
    await email_survey.deliver_due(rt, later)
    received = Counter(rcpt for rcpts in smtp.captured.recipients for rcpt in rcpts)
    assert received == Counter(people)
    assert await _statuses(db) == {S.SENT: len(people)}


async def test_a_connection_dropped_before_the_answer_is_sent_once_after_its_lease(
    mail_settings: Settings, db: Database, smtp: SmtpServer
) -> None:
    await _campaign(mail_settings, db, ANA)
    smtp.captured.drop_before = {ANA}
    rt = build_runtime(mail_settings, db=db)
    first = await email_survey.deliver_due(rt, utcnow())
    assert (first.sent, smtp.messages) == (0, [])
    assert await _statuses(db) == {S.SENDING: 1}  # not `sent`: nothing was accepted
    later = utcnow() + LEASE + timedelta(seconds=1)
    settled = await email_survey.reconcile_stale(rt, later)
    again = await email_survey.deliver_due(rt, later)
    assert (settled.requeued, again.sent) == (1, 1)
    [message] = smtp.captured.to(ANA)
    assert await _statuses(db) == {S.SENT: 1}
    assert (await _links(db))[ANA] == [email_survey.hash_token(_token(score_links(message)[0]))]


async def test_an_answer_lost_after_acceptance_is_sent_once_more_identically_never_a_third(
    mail_settings: Settings, db: Database, smtp: SmtpServer
) -> None:
    await _campaign(mail_settings, db, ANA)
    rt = build_runtime(mail_settings, db=db)
    moment = utcnow()
    for _ in range(3):  # the server keeps the message and the connection drops, every time
        smtp.captured.drop_after = {ANA}
        await email_survey.deliver_due(rt, moment)
        moment += LEASE + timedelta(seconds=1)
        await email_survey.reconcile_stale(rt, moment)
    first, retry = smtp.captured.to(ANA)  # the one retry, and never a third
    assert first["Message-ID"] == retry["Message-ID"]  # a receiver can fold them into one
    assert score_links(first) == score_links(retry)
    assert await _statuses(db) == {S.SENT: 1}  # may have arrived: counted, reminded later
    [link] = (await _links(db))[ANA]
    assert link == email_survey.hash_token(_token(score_links(first)[0]))
    async with db.session() as session:
        stored = (await session.execute(select(SurveyLink))).scalar_one()
    assert stored.pending_token is None  # no more retries: the token is not kept
