"""Surveys by email for contacts Slack cannot reach: one email, one reminder, a link per score.

Each survey email carries one random link token (only its SHA-256 identifies the link, in
`survey_links`), one link per score that opens the survey page with that score chosen, and a
one-click unsubscribe (RFC 8058).

Delivery follows the DMs' discipline, adapted to what SMTP can tell:

- A pass claims due invitations a batch at a time (`scheduled` → `sending`), leased and
  owned by the pass (`lease_owner`): as many as half a lease covers at the pace it measures.
  It renews the leases it holds every quarter lease while it runs.
- Before an email is handed to the server (after RCPT, before DATA), one transaction checks
  that the pass still holds the row and records the hand-over on the invitation's one link
  (written the first time, with its token and Message-ID; `unanswered` + 1). A pass whose
  row was taken over sends nothing.
- The invitation becomes `sent` only once the server accepted the message (250 to DATA,
  `accepted_at`). A refusal is an answer too: 5xx fails the invitation, 4xx retries later.
- In between, the answer can be lost (the connection drops, the process dies). The row
  stays `sending`; once its lease runs out, `reconcile_stale` takes it over and `verdict`
  decides: never handed over → due again; handed over once without an answer → due again,
  and the next pass sends the same message (same token, same Message-ID) once more; two
  hand-overs without an answer → counted `sent` (no third copy; the reminder follows).

What SMTP cannot guarantee: a 250 means the server took the message on, not that it reached
the inbox (a later bounce is not seen here); and a message whose 250 was lost may have been
delivered, so the one retry can deliver a second copy. That copy is identical (same link,
same Message-ID), which many receiving systems and mail clients fold into one. What holds:
one invitation has one link; at most two identical copies are ever handed over; an email
is counted `sent` only once the server accepted it, or after its retry's answer was lost
too; and a pass never hands over a row it no longer holds (two passes can both hand one
over only if one was frozen for longer than a lease in the middle of a send). The token is
kept in the clear (`pending_token`) only until the server's answer is recorded, so that the
retry can carry the same link.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from enum import StrEnum
from html import escape
from urllib.parse import unquote, urlsplit

import aiosmtplib
from sqlalchemy.ext.asyncio import AsyncSession

from blocks.catalog import language, t
from bot.core.config import Settings
from bot.core.leases import renew_until
from bot.core.runtime import Runtime
from bot.core.slack import Pacer
from bot.domain import brand, names
from bot.domain.reports import DeliveryReport
from bot.domain.scales import scale_for
from bot.domain.vocabulary import DeliveryChannel, InvitationStatus
from bot.services import wording
from storage import invitations, survey_links
from storage.models import Account, Contact, Invitation, SurveyLink

log = logging.getLogger(__name__)
S = InvitationStatus

SURVEY, REMINDER = "survey", "reminder"  # a link's purpose
PASS_LIMIT = 200  # emails per pass, so the pass's other jobs get their turn
CLAIM_FIRST = 5  # rows a pass claims first, before it has measured the server's pace
CLAIM_MAX = 20  # rows a pass holds at once, at most; fewer when the server is slow
LOST_ANSWER_RETRIES = 1  # an email whose answer was lost is sent again this many times
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


def new_message_id(settings: Settings, invitation: Invitation, purpose: str) -> str:
    """A fresh, unique Message-ID naming the invitation and the email's purpose."""
    return make_msgid(f"voc-{invitation.id}-{purpose}", domain=_domain(settings.email_from or ""))


def page_url(settings: Settings, token: str, score: int | None = None) -> str:
    base = f"{settings.public_url}/s/{token}"
    return base if score is None else f"{base}?score={score}"


def unsubscribe_url(settings: Settings, token: str) -> str:
    return f"{settings.public_url}/s/{token}/unsubscribe"


def product(settings: Settings) -> str:
    return settings.product_name or DEFAULT_PRODUCT


def sender(settings: Settings) -> str:
    """EMAIL_FROM, shown under EMAIL_FROM_NAME (or BRAND_NAME) when one is set."""
    display, address = parseaddr(settings.email_from or "")
    display = settings.email_from_name or display or settings.brand_name or ""
    return formataddr((brand.one_line(display), address)) if address else ""


def subject_for(
    settings: Settings, contact: Contact, *, company: str | None = None, reminder: bool = False
) -> str:
    """The subject on one line: EMAIL_SUBJECT in the contact's language, else the default.

    A reminder says so before the team's subject. Names come from the CRM and contacts, so
    each is folded onto one line: no value can start a second header.
    """
    locale = contact.locale
    name = product(settings)
    chosen = brand.subject(
        settings.email_subject,
        language(locale),
        first_name=first_name(contact),
        product=name,
        company=company,
    )
    if chosen is None:
        key = "email.subject.reminder" if reminder else "email.subject"
        return brand.one_line(t(locale, key, product=name))
    if reminder:
        return brand.one_line(t(locale, "email.subject.reminder.prefix", subject=chosen))
    return chosen


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
    message_id: str | None = None,
    company: str | None = None,
    now: datetime | None = None,
) -> EmailMessage:
    """The survey email: text and HTML, in the contact's language, one link per score.

    `asked` is the question filled in for the contact (bot/services/wording.py), unescaped;
    without it, the default question. `message_id`: the one its first hand-over was given,
    when it is sent again. `company`: the contact's account, for EMAIL_SUBJECT's {company};
    `now`: the Date header's time (the runtime's clock).
    """
    message = EmailMessage()
    message["Subject"] = subject_for(settings, contact, company=company, reminder=reminder)
    message["From"] = sender(settings)
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["To"] = formataddr((first_name(contact) or "", contact.email))
    message["Message-ID"] = message_id or new_message_id(
        settings, invitation, REMINDER if reminder else SURVEY
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
    brand_name: str
    logo_url: str | None
    color: str


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
        brand_name=settings.brand_name or product(settings),
        logo_url=settings.brand_logo_url,
        color=settings.brand_color or brand.DEFAULT_COLOR,
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
        f"border:1px solid {parts.color};border-radius:6px;color:{parts.color};"
        'text-align:center;font:bold 16px sans-serif;text-decoration:none"'
    )
    header = (
        f'<img src="{escape(parts.logo_url)}" alt="{escape(parts.brand_name)}" height="32" '
        'style="height:32px;border:0">'
        if parts.logo_url
        else f'<strong style="font-size:18px;color:{parts.color}">'
        f"{escape(parts.brand_name)}</strong>"
    )
    links = "".join(
        f'<a href="{escape(url)}" {cell} aria-label="{score}">{score}</a>'
        for score, url in parts.links
    )
    return (
        f'<!doctype html><html lang="{parts.lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        '<body style="font:16px/1.5 sans-serif;color:#111">'
        f'<div style="padding:0 0 8px;border-bottom:3px solid {parts.color}">{header}</div>'
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

    Rows are claimed a batch at a time (as many as half a lease covers at the pace measured
    so far) and their leases renewed every quarter lease while the pass runs. When the
    server cannot be reached or refuses the login, one error line names the host (never the
    password) and every claimed invitation goes back to `scheduled`, still due.
    """
    report = DeliveryReport()
    if not enabled(rt.settings):
        return report
    run = _Pass(rt, now, report)
    renewing = asyncio.create_task(run.renew_while_sending())
    try:
        await run.send(limit)
    finally:
        run.finished.set()
        await renewing
        await run.release_held()
    return report


@dataclass(frozen=True)
class _Attempt:
    """One hand-over of a survey email to SMTP: its link, token and Message-ID."""

    link_id: int
    token: str
    message_id: str


class _Pass:
    """One delivery pass: the rows it holds (owned, leased) and the SMTP work on them."""

    def __init__(self, rt: Runtime, now: datetime, report: DeliveryReport) -> None:
        self.rt = rt
        self.now = now
        self.report = report
        self.owner = secrets.token_hex(8)
        self.held: set[int] = set()  # claimed, not yet settled nor handed over for good
        self.finished = asyncio.Event()
        self._lease = rt.settings.send_lease.total_seconds()
        self._started = time.monotonic()
        self._pacer = Pacer(EMAILS_PER_SECOND)

    def lease_until(self) -> datetime:
        """One lease from this moment (the pass's `now` is fixed; time runs on)."""
        return self.now + timedelta(seconds=time.monotonic() - self._started + self._lease)

    def batch(self, seconds_per_email: float) -> int:
        """How many rows half a lease covers, at the SMTP server's measured pace."""
        per_email = max(seconds_per_email, 1 / EMAILS_PER_SECOND)
        return max(1, min(CLAIM_MAX, int(self._lease / 2 / per_email)))

    async def send(self, limit: int) -> None:
        batch, done = min(CLAIM_FIRST, self.batch(0.0)), 0
        async with AsyncExitStack() as stack:
            smtp: aiosmtplib.SMTP | None = None
            while done < limit:
                claimed = await self._claim(min(batch, limit - done))
                if not claimed:
                    return
                if smtp is None:
                    try:
                        smtp = await stack.enter_async_context(connect(self.rt.settings))
                    except SmtpUnavailable as exc:
                        log.error("email paused: %s; surveys stay due", exc)
                        self.report.retry_later += len(claimed)
                        return
                started = time.monotonic()
                for invitation, contact in claimed:
                    await self._pacer.wait()
                    try:
                        await self._send_one(smtp, invitation, contact)
                    except (aiosmtplib.SMTPException, OSError) as exc:
                        log.warning("email connection lost: %s", type(exc).__name__)
                        return  # what is still held goes back to `scheduled`
                done += len(claimed)
                if len(claimed) < batch:
                    return
                batch = self.batch((time.monotonic() - started) / len(claimed))

    async def _claim(self, wanted: int) -> list[tuple[Invitation, Contact]]:
        # The lease counts from this claim, however long the pass has been running.
        elapsed = timedelta(seconds=time.monotonic() - self._started)
        async with self.rt.db.transaction() as session:
            claimed = await invitations.claim_due(
                session=session,
                now=self.now,
                lease=self.rt.settings.send_lease + elapsed,
                limit=wanted,
                email=True,
                owner=self.owner,
            )
        self.held.update(invitation.id or 0 for invitation, _ in claimed)
        return claimed

    async def renew_while_sending(self) -> None:
        """Renew the held leases every quarter lease until the pass ends."""
        await renew_until(self.finished, self._lease, self._renew)

    async def _renew(self) -> None:
        try:
            async with self.rt.db.transaction() as session:
                await invitations.hold(
                    session=session,
                    ids=sorted(self.held),
                    owner=self.owner,
                    until=self.lease_until(),
                )
        except Exception:  # each email checks its row again before it is handed over
            log.warning("survey email lease renewal failed", exc_info=True)

    async def _send_one(
        self, smtp: aiosmtplib.SMTP, invitation: Invitation, contact: Contact
    ) -> None:
        assert invitation.id is not None
        if contact.opted_out:
            values = {"status": S.SKIPPED, "skip_reason": "opted out", "closed_at": self.now}
            async with self.rt.db.transaction() as session:
                link = await survey_links.get_link(
                    session=session, invitation_id=invitation.id, purpose=SURVEY
                )
                if link is not None and link.id is not None:  # no retry: the token goes
                    await survey_links.settled(session=session, link_id=link.id)
                await self._transition(session, invitation.id, values | {"lease_until": None})
            self.held.discard(invitation.id)
            return
        asked = await wording.question_for(self.rt, invitation, contact, escape=wording.plain)
        try:
            await smtp.mail(parseaddr(self.rt.settings.email_from or "")[1])
            await smtp.rcpt(contact.email)
        except aiosmtplib.SMTPResponseException as exc:
            await self._refused(smtp, invitation, None, exc)
            return
        attempt = await self._hand_over(invitation)
        if attempt is None:
            await _reset(smtp)
            return
        message = compose(
            self.rt.settings,
            invitation,
            contact,
            attempt.token,
            asked=asked,
            message_id=attempt.message_id,
            company=await _company(self.rt, contact),
            now=self.rt.now(),
        )
        try:
            await smtp.data(message.as_bytes())
        except aiosmtplib.SMTPResponseException as exc:
            await self._refused(smtp, invitation, attempt, exc)
            return
        except BaseException:
            # Handed over, answer lost: the row stays `sending` and, once its lease runs
            # out, `reconcile_stale` sends the same message once more.
            self.held.discard(invitation.id)
            self.report.retry_later += 1
            raise
        async with self.rt.db.transaction() as session:
            await survey_links.accepted(session=session, link_id=attempt.link_id, now=self.now)
            await self._transition(session, invitation.id, _sent(self.rt.now()))
        self.held.discard(invitation.id)
        self.report.sent += 1

    async def _hand_over(self, invitation: Invitation) -> _Attempt | None:
        """Check the row is still this pass's and record the hand-over, in one transaction.

        None when another process took the row over (nothing is sent), or when the rule
        says the email counts as sent already (`verdict`).
        """
        assert invitation.id is not None
        async with self.rt.db.transaction() as session:
            mine = await invitations.hold(
                session=session, ids=[invitation.id], owner=self.owner, until=self.lease_until()
            )
            if not mine:
                log.info("survey email taken over", extra={"invitation_id": invitation.id})
                self.held.discard(invitation.id)
                return None
            link = await survey_links.get_link(
                session=session, invitation_id=invitation.id, purpose=SURVEY
            )
            if verdict(link) is Verdict.SENT:
                assert link is not None and link.id is not None
                await survey_links.settled(session=session, link_id=link.id)
                when = invitation.sending_since or self.now
                await self._transition(session, invitation.id, _sent(when))
                self.held.discard(invitation.id)
                self.report.reconciled += 1
                return None
            if link is None:
                token = new_token()
                link = await survey_links.add_link(
                    session=session,
                    token_hash=hash_token(token),
                    invitation_id=invitation.id,
                    purpose=SURVEY,
                    now=self.now,
                    message_id=new_message_id(self.rt.settings, invitation, SURVEY),
                    pending_token=token,
                )
            assert link.id is not None and link.pending_token and link.message_id
            await survey_links.handed(session=session, link_id=link.id)
            return _Attempt(link.id, link.pending_token, link.message_id)

    async def _refused(
        self,
        smtp: aiosmtplib.SMTP,
        invitation: Invitation,
        attempt: _Attempt | None,
        exc: aiosmtplib.SMTPResponseException,
    ) -> None:
        """The server said no (it did not take the message): 5xx fails it, 4xx waits."""
        assert invitation.id is not None
        await _reset(smtp)
        reason = f"SMTP {exc.code}: {exc.message}"[:200]
        permanent = exc.code >= 500 or invitation.attempts >= MAX_ATTEMPTS
        if permanent:
            log.warning(
                "survey email failed", extra={"invitation_id": invitation.id, "error": reason}
            )
            values: dict[str, object] = {"status": S.FAILED, "closed_at": self.now}
            self.report.failed += 1
        else:
            backoff = timedelta(minutes=2 ** max(0, invitation.attempts - 1))
            values = {"status": S.SCHEDULED, "due_at": self.now + backoff}
            self.report.retry_later += 1
        values |= {"error": reason, "lease_until": None, "lease_owner": None}
        async with self.rt.db.transaction() as session:
            link = await survey_links.get_link(
                session=session, invitation_id=invitation.id, purpose=SURVEY
            )
            if attempt is not None:  # refused after the hand-over was recorded
                await survey_links.refused(
                    session=session, link_id=attempt.link_id, keep_token=not permanent
                )
            elif link is not None and link.id is not None and permanent:
                await survey_links.settled(session=session, link_id=link.id)
            await self._transition(session, invitation.id, values)
        self.held.discard(invitation.id)

    async def _settle(self, invitation_id: int, values: dict[str, object]) -> None:
        async with self.rt.db.transaction() as session:
            await self._transition(session, invitation_id, values)
        self.held.discard(invitation_id)

    async def _transition(
        self, session: AsyncSession, invitation_id: int, values: dict[str, object]
    ) -> bool:
        return await invitations.transition(
            session=session,
            invitation_id=invitation_id,
            from_statuses=(S.SENDING,),
            values=values,
            owner=self.owner,
        )

    async def release_held(self) -> None:
        """Rows claimed and never handed over go back to `scheduled`, still due."""
        values: dict[str, object] = {"status": S.SCHEDULED, "lease_until": None}
        for invitation_id in sorted(self.held):
            await self._settle(invitation_id, values | {"lease_owner": None})


class Verdict(StrEnum):
    """What becomes of a survey email whose sender did not record the server's answer."""

    SEND = "send"  # never handed over: send it (with its link's token, when it has one)
    RESEND = "resend"  # handed over once, answer lost: the same message once more
    SENT = "sent"  # accepted, or may have left and is never sent again


def verdict(link: SurveyLink | None) -> Verdict:
    """The rule for an email in between: no hand-over → send; one unanswered hand-over →
    resend it with the same token and Message-ID; accepted, two unanswered hand-overs, or a
    link whose token was not kept (written before this rule) → `sent`."""
    if link is None or (link.unanswered == 0 and link.accepted_at is None and link.pending_token):
        return Verdict.SEND
    if link.accepted_at is not None or not link.pending_token:
        return Verdict.SENT
    return Verdict.RESEND if link.unanswered <= LOST_ANSWER_RETRIES else Verdict.SENT


def _sent(when: datetime) -> dict[str, object]:
    return {
        "status": S.SENT,
        "sent_at": when,
        "lease_until": None,
        "error": None,
        "channel": DeliveryChannel.EMAIL,
    }


async def _reset(smtp: aiosmtplib.SMTP) -> None:
    try:
        await smtp.rset()
    except aiosmtplib.SMTPResponseException:
        pass


async def reconcile_stale(rt: Runtime, now: datetime) -> DeliveryReport:
    """Settle email surveys whose sender stopped before recording the server's answer.

    Their rows change hands (`lease_owner`), so a sender that was only slow cannot send
    them any more; then `verdict` decides: due again (sent by the next pass, with the same
    link when it has one), or `sent`.
    """
    report = DeliveryReport()
    owner = secrets.token_hex(8)
    async with rt.db.transaction() as session:
        stale = await invitations.claim_stale_sending(
            session=session,
            now=now,
            lease=rt.settings.send_lease,
            limit=PASS_LIMIT,
            email=True,
            owner=owner,
        )
    for invitation, _ in stale:
        assert invitation.id is not None
        async with rt.db.transaction() as session:
            link = await survey_links.get_link(
                session=session, invitation_id=invitation.id, purpose=SURVEY
            )
            sent = verdict(link) is Verdict.SENT
            if sent:
                assert link is not None and link.id is not None
                await survey_links.settled(session=session, link_id=link.id)
                values = _sent(invitation.sending_since or now)
            else:
                values = {"status": S.SCHEDULED, "due_at": now, "lease_until": None}
            await invitations.transition(
                session=session,
                invitation_id=invitation.id,
                from_statuses=(S.SENDING,),
                values=values | {"lease_owner": None},
                owner=owner,
            )
        if sent:
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
                    rt.settings,
                    invitation,
                    contact,
                    token,
                    asked=asked,
                    reminder=True,
                    company=await _company(rt, contact),
                    now=rt.now(),
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


async def _company(rt: Runtime, contact: Contact) -> str | None:
    """The contact's account name, for EMAIL_SUBJECT's {company}; only read when it is used."""
    if not rt.settings.email_subject or "{company}" not in "".join(
        rt.settings.email_subject.values()
    ):
        return None
    async with rt.db.session() as session:
        account = await session.get(Account, contact.account_id)
    return account.name if account else None


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
