"""Finding a contact in Slack: a member of our workspace, or a customer in a shared channel.

A contact is looked for, in order: by the `slack_user_id` the CSV gave (or an earlier
campaign learned), by `users.lookupByEmail` (members and guests of our workspace), and
then among the members of the account's Slack Connect channel (`conversations.members`,
page by page; `users.info` for each, matching `profile.email` without regard to case).
What Slack says (user id, team, zone, locale) is kept on the contact and asked again at
a campaign once it is a day old (`CAMPAIGN_FRESHNESS`); an event's survey asks only for
what is missing. A shared channel the bot cannot read is reported once per account, with
the fix, and the campaign goes on for the other accounts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.core.runtime import Runtime
from bot.core.slack import CONFIG_ERRORS, error_code
from bot.core.slack_errors import SlackError
from bot.domain.errors import SlackConfigError
from bot.domain.user_errors import BotRefused
from bot.domain.vocabulary import SkipReason
from storage.models import Account, Contact

log = logging.getLogger(__name__)

NOT_FOUND = frozenset({"users_not_found", "user_not_found", "account_inactive"})
UNREADABLE = frozenset({"not_in_channel", "channel_not_found"})
MEMBERS_PAGE = 500  # conversations.members per call (Slack allows up to 1,000)
INFO_AT_ONCE = 8  # users.info calls in flight while scanning a channel's members
# A campaign asks Slack again about a contact checked longer ago than this: names, zones
# and channels change, but two campaigns on one day need not ask about everyone twice.
CAMPAIGN_FRESHNESS = timedelta(days=1)


class ChannelUnreadable(Exception):
    """The bot cannot list the members of a shared channel (it is not in it, or it is gone)."""

    def __init__(self, channel: str, code: str) -> None:
        super().__init__(code)
        self.channel = channel
        self.code = code


@dataclass(frozen=True)
class ChannelProblem:
    """One account whose shared channel the bot cannot read, and what to do about it."""

    account: str
    channel: str
    code: str

    def __str__(self) -> str:
        what = "is not in" if self.code == "not_in_channel" else "cannot find"
        return (
            f"{self.account}: the bot {what} its shared channel {self.channel} ({self.code}). "
            f"Invite the bot there (in {self.channel}: /invite and the app's name), or fix "
            "the account's slack_channel in the CSV, then send again."
        )


@dataclass
class _Channel:
    """What is known of one channel's members so far; scanned lazily, once per campaign."""

    members: list[str] = field(default_factory=list)
    scanned: int = 0  # members looked up with users.info so far
    by_email: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str | None = None


class Directory:
    """One campaign's view of Slack: our team's id and the shared channels' members.

    Each channel's member list is read once, and its members are looked up only as far
    as needed to find the contacts asked for.
    """

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.problems: dict[int, ChannelProblem] = {}  # account id → its channel's problem
        self._channels: dict[str, _Channel] = {}
        self._own_team: str | None = None

    async def own_team(self) -> str:
        """Our workspace's team id, from `auth.test`; people of another team are external."""
        if self._own_team is None:
            self._own_team = str((await self.rt.slack.auth_test()).get("team_id") or "")
        return self._own_team

    async def find_in_channel(self, channel: str, email: str) -> dict[str, Any] | None:
        """The `users.info` user in `channel` whose profile email is `email`, if any.

        Raises ChannelUnreadable when the bot cannot list the channel's members.
        """
        known = await self._channel(channel)
        wanted = email.lower()
        while wanted not in known.by_email and known.scanned < len(known.members):
            batch = known.members[known.scanned : known.scanned + INFO_AT_ONCE]
            known.scanned += len(batch)
            for user in await asyncio.gather(*(self._user(member) for member in batch)):
                if user is None:
                    continue
                found = (user.get("profile") or {}).get("email")
                if found and not user.get("deleted") and not user.get("is_bot"):
                    known.by_email.setdefault(str(found).lower(), user)
        return known.by_email.get(wanted)

    async def _channel(self, channel: str) -> _Channel:
        known = self._channels.get(channel)
        if known is None:
            known = self._channels[channel] = _Channel()
            try:
                known.members = [member async for member in self._members(channel)]
            except SlackError as exc:
                code = error_code(exc)
                if code in CONFIG_ERRORS:
                    raise _refused(code) from exc
                if code not in UNREADABLE:  # e.g. Slack busy: the next contact asks again
                    del self._channels[channel]
                    raise
                known.error = code
        if known.error is not None:
            raise ChannelUnreadable(channel, known.error)
        return known

    async def _members(self, channel: str) -> AsyncIterator[str]:
        cursor: str | None = None
        while True:
            page = await self.rt.slack.conversations_members(
                channel=channel, limit=MEMBERS_PAGE, cursor=cursor
            )
            for member in page.get("members") or []:
                yield str(member)
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return

    async def _user(self, user_id: str) -> dict[str, Any] | None:
        try:
            return dict((await self.rt.slack.users_info(user=user_id, include_locale=True))["user"])
        except SlackError as exc:
            code = error_code(exc)
            if code in CONFIG_ERRORS:
                raise _refused(code) from exc
            return None


async def resolve(
    rt: Runtime,
    contact: Contact,
    account: Account,
    directory: Directory,
    now: datetime,
    *,
    fresh_for: timedelta | None = CAMPAIGN_FRESHNESS,
) -> str | None:
    """Fill in the contact's Slack identity; return a skip reason when Slack has no way to them.

    Args:
        fresh_for: a contact whose user and zone are known and were checked less than this
            long ago is not asked about again; None: never again once known.

    Raises SlackConfigError when Slack refuses the bot itself (bad token, missing scope).
    """
    if _known(contact, now, fresh_for):
        return None
    try:
        user = await _by_id(rt, contact) or await _by_email(rt, contact)
        if user is None and account.slack_channel:
            try:
                user = await directory.find_in_channel(account.slack_channel, contact.email)
            except ChannelUnreadable as exc:
                problem = ChannelProblem(account.name, exc.channel, exc.code)
                if account.id is not None and account.id not in directory.problems:
                    directory.problems[account.id] = problem
                    log.warning("shared channel unreadable", extra={"error": exc.code})
                return SkipReason.CHANNEL_UNREADABLE
        if user is None:
            return SkipReason.NO_SLACK_USER
        _remember(contact, user, await directory.own_team(), now)
    except SlackError as exc:
        code = error_code(exc)
        if code in CONFIG_ERRORS:
            raise _refused(code) from exc
        log.warning("slack lookup failed", extra={"contact_id": contact.id, "error": code})
        return f"Slack lookup failed ({code})"
    return None


async def resolve_for_event(rt: Runtime, contact: Contact, now: datetime) -> str | None:
    """`resolve` for one event's survey: Slack is asked only for what is not known yet."""
    async with rt.db.session() as session:
        account = await session.get(Account, contact.account_id)
    if account is None:
        return SkipReason.NO_SLACK_USER
    return await resolve(rt, contact, account, Directory(rt), now, fresh_for=None)


def is_external(contact: Contact, own_team: str) -> bool:
    """Whether the contact belongs to another organisation (a Slack Connect customer)."""
    return bool(contact.slack_team_id) and contact.slack_team_id != own_team


async def _by_id(rt: Runtime, contact: Contact) -> dict[str, Any] | None:
    """The user the contact's stored id names, asked again; None when gone or deleted."""
    if not contact.slack_user_id:
        return None
    try:
        info = await rt.slack.users_info(user=contact.slack_user_id, include_locale=True)
    except SlackError as exc:
        if error_code(exc) in NOT_FOUND:
            return None
        raise
    user = dict(info["user"])
    return None if user.get("deleted") else user


async def _by_email(rt: Runtime, contact: Contact) -> dict[str, Any] | None:
    """A member or guest of our workspace with the contact's email, with zone and locale."""
    try:
        found = await rt.slack.users_lookupByEmail(email=contact.email)
        info = await rt.slack.users_info(user=found["user"]["id"], include_locale=True)
    except SlackError as exc:
        if error_code(exc) in NOT_FOUND:
            return None
        raise
    user = dict(info["user"])
    return None if user.get("deleted") else user


def _refused(code: str) -> SlackConfigError:
    return BotRefused(code=code)


def _known(contact: Contact, now: datetime, fresh_for: timedelta | None) -> bool:
    if not (contact.slack_user_id and contact.tz):
        return False
    if fresh_for is None:
        return True
    checked = contact.slack_checked_at
    return checked is not None and now - checked < fresh_for


def _remember(contact: Contact, user: dict[str, Any], own_team: str, now: datetime) -> None:
    contact.slack_user_id = str(user["id"])
    contact.slack_team_id = str(user.get("team_id") or own_team) or None
    contact.tz = user.get("tz") or contact.tz or "UTC"
    contact.locale = user.get("locale") or contact.locale
    contact.slack_checked_at = now
    contact.updated_at = now
