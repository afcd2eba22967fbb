"""Writing past answers imported from another survey tool (bot/services/history.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.vocabulary import InvitationStatus
from storage.invitations import create_invitation
from storage.models import Contact, Invitation
from storage.responses import record_response, set_comment


async def contacts_by_email(
    *, session: AsyncSession, emails: set[str]
) -> dict[str, tuple[int, int]]:
    """email → (contact id, account id) of the contacts known among `emails`."""
    found: dict[str, tuple[int, int]] = {}
    chunk = sorted(emails)
    for start in range(0, len(chunk), 500):
        rows = await session.execute(
            select(Contact.email, Contact.id, Contact.account_id).where(
                Contact.email.in_(chunk[start : start + 500])
            )
        )
        found.update({email: (contact, account) for email, contact, account in rows.all()})
    return found


async def known_keys(*, session: AsyncSession, keys: set[str]) -> set[str]:
    """The import keys among `keys` that an earlier import stored."""
    found: set[str] = set()
    chunk = sorted(keys)
    for start in range(0, len(chunk), 500):
        rows = await session.execute(
            select(Invitation.import_key).where(
                Invitation.import_key.in_(chunk[start : start + 500])
            )
        )
        found.update(key for key in rows.scalars() if key)
    return found


async def add_answer(
    *,
    session: AsyncSession,
    contact_id: int,
    account_id: int,
    kind: str,
    trigger: str,
    score: int,
    category: str,
    comment: str | None,
    answered_at: datetime,
    import_key: str,
    source: str,
) -> None:
    """An answered invitation and its response, both dated when the answer was given."""
    invitation = await create_invitation(
        session=session,
        contact_id=contact_id,
        kind=kind,
        trigger=trigger,
        due_at=answered_at,
        now=answered_at,
        status=InvitationStatus.ANSWERED,
        context={"imported": source},
    )
    invitation.sent_at = answered_at
    invitation.answered_at = answered_at
    invitation.import_key = import_key
    await session.flush()
    assert invitation.id is not None
    await record_response(
        session=session,
        invitation_id=invitation.id,
        contact_id=contact_id,
        account_id=account_id,
        kind=kind,
        score=score,
        category=category,
        now=answered_at,
    )
    if comment:
        await set_comment(
            session=session, invitation_id=invitation.id, comment=comment, now=answered_at
        )
