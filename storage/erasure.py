"""What `forget` closes and redacts besides the mentions storage/privacy.py replaces.

The person's open surveys close and their survey links are deleted (only the hash of each
token stays, in `erased_links`, so the page says 410 Gone); the comments of their exit
answers and request notices are blanked; emails and phone numbers inside their invitations'
context and their webhook payloads are replaced; and, on SQLite, the write-ahead log is
emptied afterwards so the old values do not linger in the `-wal` file.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.domain.vocabulary import InvitationStatus, SkipReason
from storage.models import (
    ErasedLink,
    ExitAnswer,
    FollowUpCase,
    Invitation,
    OutboxEvent,
    ShipNotice,
    SurveyLink,
)

ERASED = "[erased]"
ERASED_DOMAIN = "erased.invalid"
NOTICE_ERASED = "erased on request"  # an unsent request notice: never sent now
S = InvitationStatus
_UNSENT = (S.SCHEDULED, S.WAITING)
_OPEN = (S.SENDING, S.SENT, S.REMINDED)
_EMAIL = re.compile(r"[\w.%+'-]+@[\w-]+(?:\.[\w-]+)+")
# A run of digits and the separators people write phone numbers with; 7 digits or more.
_PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d ().\-/]{5,}\d(?!\w)")
_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}")
_FREE_TEXT = ("comment", "note")  # a payload's verbatims: erased whole


def erased_address(contact_id: int) -> str:
    """The email a forgotten contact keeps: unique, and delivering nowhere (RFC 2606)."""
    return f"erased-{contact_id}@{ERASED_DOMAIN}"


def is_erased(email: str | None) -> bool:
    """Whether a contact's email is the one `forget` left."""
    return bool(email) and str(email).endswith(f"@{ERASED_DOMAIN}")


def redact(value: Any) -> Any:
    """`value` (text or JSON) with every email address and phone number replaced."""
    if isinstance(value, str):
        return _PHONE.sub(_phone, _EMAIL.sub(ERASED, value))
    if isinstance(value, dict):
        return {k: ERASED if k in _FREE_TEXT and v else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def _phone(match: re.Match[str]) -> str:
    found = match.group(0)
    digits = sum(c.isdigit() for c in found)
    return found if digits < 7 or _DATE.fullmatch(found) else ERASED


async def close_surveys(*, session: AsyncSession, contact_id: int, now: datetime) -> dict[str, int]:
    """Close the person's surveys that wait or are open, and delete their links."""
    mine = Invitation.contact_id == contact_id
    changed = {
        "invitations (closed before sending)": await _count(
            session,
            update(Invitation)
            .where(mine, Invitation.status.in_(_UNSENT))
            .values(status=S.SKIPPED, skip_reason=SkipReason.OPTED_OUT, closed_at=now),
        ),
        "invitations (open surveys closed)": await _count(
            session,
            update(Invitation)
            .where(mine, Invitation.status.in_(_OPEN))
            .values(status=S.EXPIRED, closed_at=now, lease_until=None),
        ),
    }
    links = SurveyLink.invitation_id.in_(select(Invitation.id).where(mine))
    hashes = list((await session.execute(select(SurveyLink.token_hash).where(links))).scalars())
    if hashes:
        await session.execute(
            insert(ErasedLink), [{"token_hash": h, "erased_at": now} for h in hashes]
        )
        changed["survey links (deleted)"] = await _count(session, delete(SurveyLink).where(links))
    return changed


async def link_erased(*, session: AsyncSession, token_hash: str) -> bool:
    """Whether `forget` deleted the link with this token hash."""
    found = await session.execute(select(ErasedLink.id).where(ErasedLink.token_hash == token_hash))
    return found.first() is not None


async def blank_answers(*, session: AsyncSession, contact_id: int) -> dict[str, int]:
    """Blank the person's exit-survey comments and request-notice answers; unsent notices
    are never sent."""
    return {
        "exit answers (comments)": await _count(
            session,
            update(ExitAnswer)
            .where(ExitAnswer.contact_id == contact_id, ExitAnswer.comment.is_not(None))
            .values(comment=None),
        ),
        "request notices (answers)": await _count(
            session,
            update(ShipNotice)
            .where(ShipNotice.contact_id == contact_id, ShipNotice.answer_comment.is_not(None))
            .values(answer_comment=None),
        ),
        "request notices (unsent, cancelled)": await _count(
            session,
            update(ShipNotice)
            .where(
                ShipNotice.contact_id == contact_id,
                ShipNotice.sent_at.is_(None),
                ShipNotice.error.is_(None),
            )
            .values(error=NOTICE_ERASED, lease_until=None),
        ),
    }


async def redact_context(*, session: AsyncSession, contact_id: int) -> dict[str, int]:
    """Emails and phone numbers inside the person's invitations' context."""
    rows = await session.execute(
        select(Invitation.id, Invitation.context).where(
            Invitation.contact_id == contact_id, Invitation.context.is_not(None)
        )
    )
    changed = 0
    for invitation_id, context in rows.all():
        cleaned = redact(context)
        if cleaned != context:
            await session.execute(
                update(Invitation).where(Invitation.id == invitation_id).values(context=cleaned)
            )
            changed += 1
    return {"invitations (emails and phone numbers in context)": changed}


async def redact_outbox(
    *,
    session: AsyncSession,
    invitation_ids: Collection[int],
    response_ids: Collection[int],
    case_ids: Collection[int],
) -> dict[str, int]:
    """Emails, phone numbers, comments and notes in the webhook events about the person."""
    payload = OutboxEvent.payload
    about = or_(
        payload["invitation_id"].as_integer().in_(list(invitation_ids)),
        payload["response_id"].as_integer().in_(list(response_ids)),
        payload["case_id"].as_integer().in_(list(case_ids)),
    )
    rows = await session.execute(select(OutboxEvent.id, payload).where(about))
    changed = 0
    for event_id, body in rows.all():
        cleaned = redact(body)
        if cleaned != body:
            await session.execute(
                update(OutboxEvent).where(OutboxEvent.id == event_id).values(payload=cleaned)
            )
            changed += 1
    return {"webhook events (emails, phone numbers, notes)": changed}


async def empty_sqlite_log(engine: AsyncEngine) -> bool:
    """Copy SQLite's write-ahead log into the database and truncate it, so values just
    erased are not left in the `-wal` file; False when a reader kept part of it (another
    process's open read), True otherwise (and on other databases, which need nothing)."""
    if engine.dialect.name != "sqlite":
        return True
    async with engine.connect() as connection:
        row = (await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")).one()
    return int(row[0]) == 0


async def _count(session: AsyncSession, statement: Any) -> int:
    result = await session.execute(statement.execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def posted_cards(*, session: AsyncSession, contact_id: int) -> list[int]:
    """The person's follow-up cases whose card is in Slack."""
    rows = await session.execute(
        select(FollowUpCase.id)
        .where(FollowUpCase.contact_id == contact_id, FollowUpCase.message_ts.is_not(None))
        .order_by(FollowUpCase.id)
    )
    return [i for i in rows.scalars() if i is not None]
