"""Surveys by email end to end: a real SMTP server, the survey page served by the app."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from ipaddress import ip_network

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select, update

from blocks.admin import send_summary
from bot.core.runtime import Runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.domain.vocabulary import InvitationStatus
from bot.scheduler import drain, run_due
from bot.services.surveys import start_relationship_campaign
from bot.services.transactional import schedule_for_event
from handlers.web.survey_page import PER_ADDRESS
from storage.models import Contact, Invitation, OutboxEvent, Response
from tests.mail import (
    SMTP_PASSWORD,
    SMTP_USER,
    SmtpServer,
    free_port,
    html_part,
    score_links,
    smtp_server,
    text_part,
    unsubscribe_link,
)
from tests.seed import Person, add_people

S = InvitationStatus
pytestmark = pytest.mark.postgres
ANA = "ana@acme.test"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
async def mail_rt(rt: Runtime, smtp: SmtpServer, app_url: str) -> Runtime:
    """The runtime with email on: the SMTP server above, the page on the served app."""
    rt.settings.smtp_url = SecretStr(smtp.url())
    rt.settings.email_from = "Acme Feedback <feedback@acme.test>"
    rt.settings.public_url = app_url
    rt.settings.product_name = "Acme Cloud"
    rt.settings.webhook_url = "http://127.0.0.1:9/hooks"  # queued in the outbox; not delivered
    return rt


@pytest.fixture
async def browser() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain HTTP client that keeps cookies (the page's CSRF cookie) for 127.0.0.1."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


async def _emailed(rt: Runtime, *people: Person, name: str | None = "Ana Lim") -> None:
    ids = await add_people(rt.db, *people)
    async with rt.db.transaction() as session:
        await session.execute(update(Contact).where(Contact.id.in_(ids)).values(name=name))
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    await drain(rt)


async def _count(rt: Runtime, model: type) -> int:
    async with rt.db.session() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def _contact(rt: Runtime, email: str) -> Contact:
    async with rt.db.session() as session:
        found = await session.execute(select(Contact).where(Contact.email == email))
        return found.scalar_one()


async def _invitations(rt: Runtime) -> list[Invitation]:
    async with rt.db.session() as session:
        return list((await session.execute(select(Invitation))).scalars())


async def _invitation(rt: Runtime) -> Invitation:
    async with rt.db.session() as session:
        return (await session.execute(select(Invitation))).scalar_one()


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


async def test_a_contact_slack_cannot_reach_gets_one_multipart_email_with_a_link_per_score(
    mail_rt: Runtime, smtp: SmtpServer
) -> None:
    await add_people(mail_rt.db, Person(ANA))
    report = await start_relationship_campaign(
        mail_rt, kind="nps", now=mail_rt.now(), send_now=True
    )
    assert report.by_email == 1 and not report.unreachable
    assert "  by email: 1 (contacts Slack cannot reach)" in send_summary(report)
    await drain(mail_rt)
    await drain(mail_rt)
    [message] = smtp.messages
    assert message["From"] == "Acme Feedback <feedback@acme.test>"
    assert ANA in message["To"]
    assert message.get_content_type() == "multipart/alternative"
    assert message["Subject"] == "Acme Cloud: one quick question"
    text = text_part(message)
    assert "How likely are you to recommend Acme Cloud to a friend or colleague?" in text
    links = score_links(message)
    assert sorted(links) == list(range(11))
    assert all(url.startswith(mail_rt.settings.public_url + "/s/") for url in links.values())
    assert links[7].endswith("?score=7")
    assert len({url.split("?")[0] for url in links.values()}) == 1  # one token for the email
    token = links[0].split("/s/")[1].split("?")[0]
    assert len(token) >= 22  # at least 128 random bits, URL-safe
    invitation = await _invitation(mail_rt)
    assert str(invitation.id) != token
    assert invitation.status == S.SENT and invitation.channel == "email"
    html = html_part(message)
    assert links[10].replace("&", "&amp;") in html and "Unsubscribe" in html
    assert unsubscribe_link(message).endswith("/unsubscribe")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


async def test_a_malay_contact_gets_the_email_in_malay(mail_rt: Runtime, smtp: SmtpServer) -> None:
    await _emailed(mail_rt, Person(ANA, locale="ms-MY"))
    [message] = smtp.messages
    assert message["Subject"] == "Acme Cloud: satu soalan ringkas"
    assert "Hai Ana," in text_part(message)
    assert 'lang="ms"' in html_part(message)


async def test_scanner_gets_record_nothing_and_one_post_records_one_response(
    mail_rt: Runtime,
    smtp: SmtpServer,
    emulator: SlackEmulator,
    browser: aiohttp.ClientSession,
) -> None:
    await _emailed(mail_rt, Person(ANA))
    [message] = smtp.messages
    links = score_links(message)
    for url in [*links.values(), unsubscribe_link(message)]:  # a mail scanner opens them all
        async with browser.get(url) as response:
            assert response.status == 200
    assert await _count(mail_rt, Response) == 0
    assert not (await _contact(mail_rt, ANA)).opted_out

    async with browser.get(links[3]) as response:
        page = await response.text()
    assert 'value="3" checked' in page and "Hi Ana!" in page and ANA not in page
    form = {"csrf": _csrf(page), "score": "3", "comment": "Exports <b>fail</b> daily"}
    async with browser.post(links[3], data=form) as response:
        assert response.status == 200
        assert "Thank you! Your answer: 3." in await response.text()
    async with browser.post(links[3], data=form | {"score": "9"}) as response:
        assert "already answered this survey: your score was 3" in await response.text()
    assert await _count(mail_rt, Response) == 1
    async with mail_rt.db.session() as session:
        stored = (await session.execute(select(Response))).scalar_one()
        events = (await session.execute(select(OutboxEvent))).scalars().all()
    assert (stored.score, stored.comment) == (3, "Exports <b>fail</b> daily")
    assert sorted(event.type for event in events) == ["case.opened", "response.created"]
    [card] = emulator.messages("CVOC")  # a detractor: the #voc card, as for a Slack tap
    assert "3" in str(card)


async def test_one_click_unsubscribe_opts_the_contact_out(
    mail_rt: Runtime, smtp: SmtpServer
) -> None:
    await _emailed(mail_rt, Person(ANA))
    [message] = smtp.messages
    async with aiohttp.ClientSession() as mail_client:  # RFC 8058: no cookie, no page
        async with mail_client.post(
            unsubscribe_link(message), data={"List-Unsubscribe": "One-Click"}
        ) as response:
            assert response.status == 200
    assert (await _contact(mail_rt, ANA)).opted_out
    assert (await _invitation(mail_rt)).status == S.EXPIRED
    async with aiohttp.ClientSession() as scanner:
        async with scanner.get(score_links(message)[9]) as response:
            assert response.status == 410 and "closed" in await response.text()


async def test_one_reminder_email_then_never_again(
    mail_rt: Runtime, smtp: SmtpServer, clock: FakeClock
) -> None:
    await _emailed(mail_rt, Person(ANA))
    clock.advance(mail_rt.settings.reminder_after + timedelta(minutes=1))
    await run_due(mail_rt)
    clock.advance(timedelta(days=3))
    await run_due(mail_rt)
    clock.advance(mail_rt.settings.expire_after)
    await run_due(mail_rt)
    first, reminder = smtp.messages
    assert reminder["Subject"].startswith("Reminder: ")
    assert score_links(reminder)[0] != score_links(first)[0]  # its own token
    assert (await _invitation(mail_rt)).status == S.EXPIRED
    async with aiohttp.ClientSession() as late:
        async with late.get(score_links(reminder)[8]) as response:
            assert response.status == 410  # dead once the survey expired


async def test_an_unreachable_smtp_server_is_one_line_naming_the_host_and_surveys_stay_due(
    mail_rt: Runtime, smtp: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    mail_rt.settings.smtp_url = SecretStr(f"smtp://{SMTP_USER}:{SMTP_PASSWORD}@127.0.0.1:{port}")
    caplog.set_level(logging.INFO)
    await _emailed(mail_rt, Person(ANA))
    [line] = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert f"cannot reach the SMTP server 127.0.0.1:{port}" in line
    assert SMTP_PASSWORD not in caplog.text
    invitation = await _invitation(mail_rt)
    assert invitation.status == S.SCHEDULED and invitation.due_at <= mail_rt.now()


async def test_a_rejected_login_names_the_host_never_the_password(
    mail_rt: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    with smtp_server(require_login=True) as guarded:
        mail_rt.settings.smtp_url = SecretStr(
            guarded.url(user=SMTP_USER, password="wrong-" + SMTP_PASSWORD)
        )
        caplog.set_level(logging.INFO)
        await _emailed(mail_rt, Person(ANA))
        [line] = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert f"refused the login for {SMTP_USER}" in line and guarded.host in line
        assert SMTP_PASSWORD not in caplog.text
        assert (await _invitation(mail_rt)).status == S.SCHEDULED
        mail_rt.settings.smtp_url = SecretStr(guarded.url(user=SMTP_USER, password=SMTP_PASSWORD))
        await drain(mail_rt)
        assert len(guarded.messages) == 1 and (await _invitation(mail_rt)).status == S.SENT


async def test_a_malformed_form_is_a_400_that_says_what_to_fix(
    mail_rt: Runtime, smtp: SmtpServer, browser: aiohttp.ClientSession
) -> None:
    await _emailed(mail_rt, Person(ANA))
    link = score_links(smtp.messages[0])[5]
    async with browser.get(link) as response:
        csrf = _csrf(await response.text())
    for form, fix in (
        ({"csrf": csrf, "score": "11"}, "Choose a score from 0 to 10"),
        ({"csrf": csrf}, "Choose a score from 0 to 10"),
        ({"csrf": csrf, "score": "5", "comment": "x" * 3001}, "under 3000 characters"),
        ({"csrf": "forged", "score": "5"}, "open the link in your email again"),
    ):
        async with browser.post(link, data=form) as response:
            assert response.status == 400
            assert fix in await response.text()
    assert await _count(mail_rt, Response) == 0


async def test_pages_are_locked_down_and_unknown_links_are_polite(
    mail_rt: Runtime, smtp: SmtpServer, browser: aiohttp.ClientSession
) -> None:
    await _emailed(mail_rt, Person(ANA), name="<b>Ana</b> Lim")
    link = score_links(smtp.messages[0])[5]
    async with browser.get(link) as response:
        page = await response.text()
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["X-Frame-Options"] == "DENY"
    assert "Hi &lt;b&gt;Ana&lt;/b&gt;!" in page and "<b>Ana" not in page  # escaped
    assert "Lim" not in page and ANA not in page  # the first name at most
    base = link.split("/s/")[0]
    async with browser.get(f"{base}/s/not-a-real-token?score=3") as response:
        assert response.status == 404
        assert "This link is not valid any more" in await response.text()


async def test_requests_per_link_are_limited(
    mail_rt: Runtime, smtp: SmtpServer, browser: aiohttp.ClientSession
) -> None:
    await _emailed(mail_rt, Person(ANA))
    link = score_links(smtp.messages[0])[5]
    statuses = []
    for _ in range(35):
        async with browser.get(link) as response:
            statuses.append(response.status)
    assert statuses[:30] == [200] * 30 and statuses[-1] == 429
    base = link.split("/s/")[0]
    mail_rt.settings.trusted_proxies = (ip_network("127.0.0.1"),)  # behind a proxy
    headers = {"X-Forwarded-For": "198.51.100.7"}
    for i in range(PER_ADDRESS + 1):  # one address trying many tokens
        async with browser.get(f"{base}/s/guess-{i}", headers=headers) as response:
            statuses.append(response.status)
    assert statuses[-2:] == [404, 429]


async def test_an_event_for_a_contact_slack_cannot_reach_is_surveyed_by_email(
    mail_rt: Runtime, smtp: SmtpServer
) -> None:
    await add_people(mail_rt.db, Person(ANA, tz="UTC"))
    answer = await schedule_for_event(
        mail_rt,
        event="ticket_closed",
        email=ANA,
        occurred_at=mail_rt.now(),
        context={"ticket_id": "T-1"},
        event_id="evt-1",
        now=mail_rt.now(),
    )
    assert answer.body["scheduled"] and not answer.body["skipped"]
    stored = await _invitations(mail_rt)
    assert [invitation.channel for invitation in stored] == ["email", "email"]  # CSAT and CES
    await drain(mail_rt, max(invitation.due_at for invitation in stored))
    texts = sorted(text_part(message) for message in smtp.messages)
    assert len(texts) == 2
    assert any("How satisfied were you with the support you received?" in t for t in texts)


async def test_a_permanent_refusal_fails_with_the_reason_and_a_temporary_one_is_retried(
    mail_rt: Runtime, smtp: SmtpServer, clock: FakeClock
) -> None:
    gone, busy = "gone@acme.test", "busy@acme.test"
    smtp.captured.refuse = {gone: "550 5.1.1 No such mailbox", busy: "451 4.3.0 Try later"}
    await _emailed(mail_rt, Person(gone), Person(busy))
    by_email = {i.contact_id: i for i in await _invitations(mail_rt)}
    failed, waiting = (
        by_email[(await _contact(mail_rt, gone)).id or 0],
        by_email[(await _contact(mail_rt, busy)).id or 0],
    )
    assert failed.status == S.FAILED and failed.error == "SMTP 550: 5.1.1 No such mailbox"
    assert waiting.status == S.SCHEDULED and "451" in (waiting.error or "")
    assert smtp.messages == []
    smtp.captured.refuse = {gone: "550 5.1.1 No such mailbox"}
    clock.advance(timedelta(minutes=5))
    await drain(mail_rt)
    assert len(smtp.captured.to(busy)) == 1 and smtp.captured.to(gone) == []
