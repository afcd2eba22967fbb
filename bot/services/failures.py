"""What the Bolt error handler needs to tell someone their action failed: their language."""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from bot.core.runtime import Runtime
from storage.accounts import get_contact_by_slack_user

log = logging.getLogger(__name__)


async def contact_locale(rt: Runtime, user_id: str) -> str | None:
    """The locale stored on the contact with this Slack id; None when unknown or unreadable.

    Called while something has already failed, possibly the database itself: a failed
    lookup is not a second error, so it is only logged at DEBUG.
    """
    if not user_id:
        return None
    try:
        async with rt.db.session() as session:
            contact = await get_contact_by_slack_user(session=session, slack_user_id=user_id)
    except (SQLAlchemyError, OSError) as exc:
        log.debug("contact locale unreadable", extra={"error": type(exc).__name__})
        return None
    return contact.locale if contact is not None else None
