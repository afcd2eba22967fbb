"""Surveys by email for contacts Slack cannot reach: one email, one reminder, a link per score.

Each email carries fresh random link tokens (only their SHA-256 is stored, in
`survey_links`), one link per score that opens the survey page with that score chosen, and
a one-click unsubscribe (RFC 8058). Delivery follows the DMs' discipline: an invitation is
claimed (`scheduled` → `sending`, leased), and the link row is written just before the
message's data goes to the SMTP server. When a sender dies, whoever takes over the lease
settles it: a link row means the email may have left, so it counts as `sent` (a survey
asked twice is worse than one the reminder repeats); no link row means it never left, so
it goes back to `scheduled`. Nothing is emailed twice.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr
from html import escape
from urllib.parse import unquote, urlsplit

import aiosmtplib

from blocks.catalog import language, t
from bot.core.config import Settings
from bot.core.runtime import Runtime
from bot.core.slack import Pacer
from bot.domain import names
from bot.domain.reports import DeliveryReport
from bot.domain.scales import scale_for
from bot.services import wording
from storage import invitations, survey_links
from storage.models import Contact, DeliveryChannel, Invitation, InvitationStatus

log = logging.getLogger(__name__)
S = InvitationStatus

SURVEY, REMINDER = "survey", "reminder"  # a link's purpose
PASS_LIMIT = 200  # emails per pass, so the pass's other jobs get their turn
EMAILS_PER_SECOND = 10.0  # the SMTP server's pace: providers throttle bursts
MAX_ATTEMPTS = 5
SMTP_TIMEOUT = 30.0
DEFAULT_PRODUCT = "our team"


class SmtpUnavailable(Exception):
    """The SMTP server cannot be reached or refused our login: one line, never the password."""


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    implicit_tls: bool
    username: str | None
    password: str | None

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def enabled(settings: Settings) -> bool:
    """Email is on when SMTP_URL is set (config validation requires EMAIL_FROM, PUBLIC_URL)."""
    return bool(settings.smtp_url)


def new_token() -> str:
    """A link token: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def smtp_target(url: str) -> SmtpTarget:
    """`smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://…:465` (implicit TLS)."""
    parts = urlsplit(url)
    tls = parts.scheme == "smtps"
    return SmtpTarget(
        host=parts.hostname or "",
        port=parts.port or (465 if tls else 587),
        implicit_tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def page_url(settings: Settings, token: str, score: int | None = None) -> str:
    base = f"{settings.public_url}/s/{token}"
    return base if score is None else f"{base}?score={score}"


def unsubscribe_url(settings: Settings, token: str) -> str:
    return f"{settings.public_url}/s/{token}/unsubscribe"


def product(settings: Settings) -> str:
    return settings.product_name or DEFAULT_PRODUCT


def first_name(contact: Contact) -> str | None:
    """The contact's first name, the only thing about them a survey email or page shows."""
    return names.first_name(contact.name)


def compose(
    settings: Settings,
    invitation: Invitation,
    contact: Contact,
    token: str,
    *,
    asked: str | None = None,
    reminder: bool = False,
) -> EmailMessage:
    """The survey email: text and HTML, in the contact's language, one link per score.

    `asked` is the question filled in for the contact (bot/services/wording.py), unescaped;
    without it, the default question.
    """
    locale = contact.locale
    name = product(settings)
    message = EmailMessage()
    subject = "email.subject.reminder" if reminder else "email.subject"
    message["Subject"] = t(locale, subject, product=name)
    message["From"] = settings.email_from or ""
    message["To"] = formataddr((first_name(contact) or "", contact.email))
    message["Message-ID"] = make_msgid(
        f"voc-{invitation.id}-{REMINDER if reminder else SURVEY}",
        domain=_domain(settings.email_from or ""),
    )
    message["List-Unsubscribe"] = f"<{unsubscribe_url(settings, token)}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    asked = asked or wording.default_question(
        settings, contact.locale, invitation.kind, invitation.trigger
    )
    parts = _parts(settings, invitation, contact, token, asked=asked, reminder=reminder)
    message.set_content(_text(parts))
    message.add_alternative(_html(parts), subtype="html")
    return message


@dataclass(frozen=True)
class _Parts:
    greeting: str
    intro: str
    question: str
    pick: str
    links: list[tuple[int, str]]
    legend: str
    footer: str
    unsubscribe: str
    unsubscribe_url: str
    lang: str


def _parts(
    settings: Settings,
    invitation: Invitation,
    contact: Contact,
    token: str,
    *,
    asked: str,
    reminder: bool,
) -> _Parts:
    locale = contact.locale
    scale = scale_for(invitation.kind)
    name = first_name(contact)
    legend = t(
        locale,
        "survey.legend",
        low=scale.low,
        high=scale.high,
        low_label=t(locale, f"scale.{invitation.kind}.low"),
        high_label=t(locale, f"scale.{invitation.kind}.high"),
    )
    return _Parts(
        greeting=t(locale, "email.greeting", name=name)
        if name
        else t(locale, "email.greeting.anonymous"),
        intro=t(locale, "email.reminder" if reminder else "email.intro"),
        question=asked,
        pick=t(locale, "email.pick"),
        links=[(score, page_url(settings, token, score)) for score in scale.scores],
        legend=legend,
        footer=t(locale, "email.footer", product=product(settings)),
        unsubscribe=t(locale, "email.unsubscribe"),
        unsubscribe_url=unsubscribe_url(settings, token),
        lang=language(locale),
    )


def _text(parts: _Parts) -> str:
    lines = [parts.greeting, "", parts.intro, "", parts.question, "", parts.pick]
    lines += [f"  {score}: {url}" for score, url in parts.links]
    lines += ["", parts.legend, "", "--", parts.footer, f"{parts.unsubscribe}: "]
    lines[-1] += parts.unsubscribe_url
    return "\n".join(lines) + "\n"


def _html(parts: _Parts) -> str:
    cell = (
        'style="display:inline-block;min-width:28px;padding:8px 6px;margin:2px;'
        "border:1px solid #1d4ed8;border-radius:6px;color:#1d4ed8;text-align:center;"
        'font:bold 16px sans-serif;text-decoration:none"'
    )
    links = "".join(
        f'<a href="{escape(url)}" {cell} aria-label="{score}">{score}</a>'
        for score, url in parts.links
    )
    return (
        f'<!doctype html><html lang="{parts.lang}"><body style="font:16px/1.5 sans-serif;'
        'color:#111">'
        f"<p>{escape(parts.greeting)}</p><p>{escape(parts.intro)}</p>"
        f"<p><strong>{escape(parts.question)}</strong></p>"
        f'<p role="group" aria-label="{escape(parts.pick)}">{links}</p>'
        f'<p style="color:#444">{escape(parts.legend)}</p><hr>'
        f'<p style="color:#444;font-size:13px">{escape(parts.footer)} '
        f'<a href="{escape(parts.unsubscribe_url)}">{escape(parts.unsubscribe)}</a></p>'
        "</body></html>"
    )


def _domain(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"


@asynccontextmanager
async def connect(settings: Settings) -> AsyncIterator[aiosmtplib.SMTP]:
    """An open, logged-in SMTP connection; SmtpUnavailable (naming the host) when not."""
    target = smtp_target(settings.smtp_url.get_secret_value() if settings.smtp_url else "")
    smtp = aiosmtplib.SMTP(
        hostname=target.host,
        port=target.port,
        use_tls=target.implicit_tls,
        start_tls=False if target.implicit_tls else None,  # STARTTLS whenever it is offered
        timeout=SMTP_TIMEOUT,
    )
    try:
        await smtp.connect()
        if target.username:
            await smtp.login(target.username, target.password or "")
    except aiosmtplib.SMTPAuthenticationError as exc:
        raise SmtpUnavailable(
            f"the SMTP server {target} refused the login for {target.username} "
            f"({exc.code}): check the user and password in SMTP_URL"
        ) from None
    except (aiosmtplib.SMTPException, OSError) as exc:
        reason = str(exc) or type(exc).__name__
        if target.password:
            reason = reason.replace(target.password, "***")
        raise SmtpUnavailable(
            f"cannot reach the SMTP server {target} ({reason}): check SMTP_URL's host and port"
        ) from None
    try:
        yield smtp
    finally:
        try:
            await smtp.quit()
        except (aiosmtplib.SMTPException, OSError):
            smtp.close()


async def deliver_due(rt: Runtime, now: datetime, *, limit: int = PASS_LIMIT) -> DeliveryReport:
    """Email the due surveys bound for email, once each, on one SMTP connection.

    When the server cannot be reached or refuses the login, one error line names the host
    (never the password) and every claimed invitation goes back to `scheduled`, still due.
    """
    report = DeliveryReport()
    if not enabled(rt.settings):
        return report
    async with rt.db.transaction() as session:
        claimed = await invitations.claim_due(
            session=session, now=now, lease=rt.settings.send_lease, limit=limit, email=True
        )
    if not claimed:
        return report
    pending = list(claimed)
    pacer = Pacer(EMAILS_PER_SECOND)
    try:
        async with connect(rt.settings) as smtp:
            while pending:
                invitation, contact = pending[0]
                await pacer.wait()
                await _send_survey(rt, smtp, invitation, contact, now, report)
                pending.pop(0)
    except SmtpUnavailable as exc:
        log.error("email paused: %s; surveys stay due", exc)
        await _release(rt, [invitation for invitation, _ in pending], now)
        report.retry_later += len(pending)
    except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError) as exc:
        # The current row may have left: it stays `sending` and reconciliation settles it.
        log.warning("email connection lost: %s", type(exc).__name__)
        await _release(rt, [invitation for invitation, _ in pending[1:]], now)
    return report


async def _send_survey(
    rt: Runtime,
    smtp: aiosmtplib.SMTP,
    invitation: Invitation,
    contact: Contact,
    now: datetime,
    report: DeliveryReport,
) -> None:
    assert invitation.id is not None
    if contact.opted_out:
        values = {"status": S.SKIPPED, "skip_reason": "opted out", "closed_at": now}
        await _finish(rt, invitation.id, values | {"lease_until": None})
        return
    token = new_token()
    asked = await wording.question_for(rt, invitation, contact, escape=wording.plain)
    message = compose(rt.settings, invitation, contact, token, asked=asked)
    try:
        await smtp.mail(parseaddr(rt.settings.email_from or "")[1])
        await smtp.rcpt(contact.email)
        await _write_link(rt, invitation.id, token, SURVEY, now)  # now the email may leave
        await smtp.data(message.as_bytes())
    except aiosmtplib.SMTPResponseException as exc:
        await _refused(rt, smtp, invitation, token, exc, now, report)
        return
    values = {"status": S.SENT, "sent_at": rt.now(), "lease_until": None, "error": None}
    await _finish(rt, invitation.id, values | {"channel": DeliveryChannel.EMAIL})
    report.sent += 1


async def _refused(
    rt: Runtime,
    smtp: aiosmtplib.SMTP,
    invitation: Invitation,
    token: str,
    exc: aiosmtplib.SMTPResponseException,
    now: datetime,
    report: DeliveryReport,
) -> None:
    """The server said no to one message: permanent (5xx) fails it, temporary (4xx) waits."""
    assert invitation.id is not None
    async with rt.db.transaction() as session:  # it did not leave: the link never existed
        await survey_links.remove(session=session, token_hash=hash_token(token))
    reason = f"SMTP {exc.code}: {exc.message}"[:200]
    try:
        await smtp.rset()
    except aiosmtplib.SMTPException:
        pass
    if exc.code >= 500 or invitation.attempts >= MAX_ATTEMPTS:
        log.warning("survey email failed", extra={"invitation_id": invitation.id, "error": reason})
        values = {"status": S.FAILED, "error": reason, "lease_until": None, "closed_at": now}
        await _finish(rt, invitation.id, values)
        report.failed += 1
        return
    backoff = timedelta(minutes=2 ** max(0, invitation.attempts - 1))
    values = {"status": S.SCHEDULED, "due_at": now + backoff, "lease_until": None, "error": reason}
    await _finish(rt, invitation.id, values)
    report.retry_later += 1


async def reconcile_stale(rt: Runtime, now: datetime) -> DeliveryReport:
    """Settle email surveys whose sender died: a link row means it may have left → `sent`."""
    report = DeliveryReport()
    async with rt.db.transaction() as session:
        stale = await invitations.claim_stale_sending(
            session=session, now=now, lease=rt.settings.send_lease, limit=PASS_LIMIT, email=True
        )
    for invitation, _ in stale:
        assert invitation.id is not None
        async with rt.db.transaction() as session:
            handed = await survey_links.has_link(
                session=session, invitation_id=invitation.id, purpose=SURVEY
            )
            values: dict[str, object] = {"lease_until": None}
            if handed:
                values |= {"status": S.SENT, "sent_at": invitation.sending_since or now}
                values |= {"channel": DeliveryChannel.EMAIL}
            else:
                values |= {"status": S.SCHEDULED, "due_at": now}
            await invitations.transition(
                session=session,
                invitation_id=invitation.id,
                from_statuses=(S.SENDING,),
                values=values,
            )
        if handed:
            report.reconciled += 1
        else:
            report.requeued += 1
    return report


async def send_reminders(rt: Runtime, due: list[tuple[Invitation, Contact]], now: datetime) -> int:
    """The one reminder email for each of `due` (already marked `reminded`); at most once."""
    if not due or not enabled(rt.settings):
        return 0
    sent = 0
    pacer = Pacer(EMAILS_PER_SECOND)
    try:
        async with connect(rt.settings) as smtp:
            for invitation, contact in due:
                assert invitation.id is not None
                token = new_token()
                await _write_link(rt, invitation.id, token, REMINDER, now)
                await pacer.wait()
                asked = await wording.question_for(rt, invitation, contact, escape=wording.plain)
                message = compose(
                    rt.settings, invitation, contact, token, asked=asked, reminder=True
                )
                try:
                    await smtp.send_message(message)
                    sent += 1
                except aiosmtplib.SMTPResponseException as exc:  # a lost reminder beats two
                    extra = {"invitation_id": invitation.id, "error": f"SMTP {exc.code}"}
                    log.warning("reminder email failed", extra=extra)
    except SmtpUnavailable as exc:
        log.error("reminder emails not sent: %s", exc)
    return sent


async def _write_link(
    rt: Runtime, invitation_id: int, token: str, purpose: str, now: datetime
) -> None:
    """Store the link's hash, bound to its invitation, before the email can leave."""
    async with rt.db.transaction() as session:
        await survey_links.add_link(
            session=session,
            token_hash=hash_token(token),
            invitation_id=invitation_id,
            purpose=purpose,
            now=now,
        )


async def _release(rt: Runtime, claimed: list[Invitation], now: datetime) -> None:
    for invitation in claimed:
        assert invitation.id is not None
        await _finish(rt, invitation.id, {"status": S.SCHEDULED, "lease_until": None})


async def _finish(rt: Runtime, invitation_id: int, values: dict[str, object]) -> None:
    async with rt.db.transaction() as session:
        await invitations.transition(
            session=session, invitation_id=invitation_id, from_statuses=(S.SENDING,), values=values
        )
