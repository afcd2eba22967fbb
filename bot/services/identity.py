"""Finding a contact in Slack: user id by email, then time zone and locale.

A contact no member lookup finds may be a customer in their account's shared channel:
bot/services/reach.py looks there (campaigns use it directly, with one view per campaign).
"""

from __future__ import annotations

import logging
from datetime import datetime

from slack_sdk.errors import SlackApiError

from bot.core.errors import SlackConfigError
from bot.core.runtime import Runtime
from bot.core.slack import CONFIG_ERRORS, error_code
from bot.services import reach
from storage.models import Account, Contact, SkipReason

log = logging.getLogger(__name__)
NOT_FOUND = frozenset({"users_not_found", "user_not_found", "account_inactive"})


async def resolve(rt: Runtime, contact: Contact, now: datetime) -> str | None:
    """Fill in the contact's Slack id, zone and locale; return a skip reason when it has none.

    Raises SlackConfigError when Slack refuses the bot itself (bad token, missing scope).
    """
    try:
        if not contact.slack_user_id:
            found = await rt.slack.users_lookupByEmail(email=contact.email)
            contact.slack_user_id = found["user"]["id"]
        if not contact.tz:
            info = await rt.slack.users_info(user=contact.slack_user_id, include_locale=True)
            user = info["user"]
            if user.get("deleted"):
                return SkipReason.NO_SLACK_USER
            contact.tz = user.get("tz") or "UTC"
            contact.locale = user.get("locale") or contact.locale
    except SlackApiError as exc:
        code = error_code(exc)
        if code in NOT_FOUND:
            return await _in_shared_channel(rt, contact, now)
        if code in CONFIG_ERRORS:
            raise SlackConfigError(
                f"Slack refused the bot ({code}): check SLACK_BOT_TOKEN and the scopes "
                "users:read and users:read.email in manifest.json"
            ) from exc
        log.warning("slack lookup failed", extra={"contact_id": contact.id, "error": code})
        return f"Slack lookup failed ({code})"
    contact.updated_at = now
    return None


async def _in_shared_channel(rt: Runtime, contact: Contact, now: datetime) -> str | None:
    """Look for the contact among their account's Slack Connect channel members."""
    async with rt.db.session() as session:
        account = await session.get(Account, contact.account_id)
    if account is None or not account.slack_channel:
        return SkipReason.NO_SLACK_USER
    contact.slack_user_id = None  # a stale id from an earlier lookup is not theirs any more
    return await reach.resolve(rt, contact, account, reach.Directory(rt), now)
