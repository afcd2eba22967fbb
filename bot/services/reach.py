"""Finding a contact in Slack: a member of our workspace, or a customer in a shared channel.

A campaign finds its people from Slack's bulk listings, kept in the database (storage/
reach.py): `users.list` (members and guests, a thousand a page) and, for an account with a
Slack Connect channel, `conversations.members` plus `users.info` for each member not
already known. A contact absent from a complete listing younger than
`REACH_LISTING_MAX_AGE` is not in Slack, and no call is spent on them; `users.lookupByEmail`
is asked only when the listing could not be completed. `send` makes its invitations at once
(`resolving` for those Slack has to be asked about) and `resolve_pending`, run by `send`
for up to `REACH_SEND_WAIT` and then by the worker, finds them, each method paced at its
Slack tier (bot/core/slack.py `TierPaces`) and pausing on 429 `Retry-After`.

An event's survey (`resolve_for_event`) looks for one contact in a fresh listing first,
else, in order: by the `slack_user_id` the CSV gave (or an earlier campaign learned), by
`users.lookupByEmail` (members and guests of our workspace), and then among the members
of the account's Slack Connect channel (`conversations.members`, page by page; `users.info`
for each, matching `profile.email` without regard to case). What Slack says (user id,
team, zone, locale) is kept on the contact and asked again at a campaign once it is a day
old (`CAMPAIGN_FRESHNESS`); an event's survey asks only for what is missing. A shared
channel the bot cannot read is reported once per account, with the fix, and the campaign
goes on for the other accounts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.core.runtime import Runtime
from bot.core.slack import CONFIG_ERRORS, error_code, tier_paces
from bot.core.slack_errors import SlackError
from bot.domain.admin_results import LOOKUP_FAILED
from bot.domain.errors import SlackConfigError
from bot.domain.send_windows import next_relationship_slot
from bot.domain.user_errors import BotRefused
from bot.domain.vocabulary import UNREACHABLE_REASONS, SkipReason
from storage import reach as store
from storage.models import Account, Contact, Invitation, ReachListing, ReachUser

log = logging.getLogger(__name__)

NOT_FOUND = frozenset({"users_not_found", "user_not_found", "account_inactive"})
UNREADABLE = frozenset({"not_in_channel", "channel_not_found"})
MEMBERS_PAGE = 1000  # conversations.members per call (Slack's most)
USERS_PAGE = 1000  # users.list per call (Slack's most)
INFO_AT_ONCE = 8  # users.info calls in flight while scanning a channel's members
USERS_LIST = "users.list"  # the listing of our workspace's members and guests
# A campaign asks Slack again about a contact checked longer ago than this: names, zones
# and channels change, but two campaigns on one day need not ask about everyone twice.
CAMPAIGN_FRESHNESS = timedelta(days=1)
# Resolving invitations read at a time: 100,000 at once held some 400 MB in each worker.
# The first chunk reads the listing into the database (`reach_users`), and the next ones
# find their people there, without asking Slack again.
RESOLVE_CHUNK = 2000
# How long a process's claim to read users.list lasts; each page renews it. Paced at Tier 2
# a page comes every three seconds; a longer 429 pause may let another process go on.
LISTING_LEASE = timedelta(minutes=2)


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
    known: dict[str, dict[str, Any]] = field(default_factory=dict)  # listed lately (database)


class Directory:
    """One pass's view of Slack: our team's id and the shared channels' members.

    Each channel's member list is read once, and its members are looked up only as far
    as needed to find the contacts asked for; who `users.info` showed is kept in the
    database (`reach_users`), and a member known there, fresh, is not asked about again.
    """

    def __init__(self, rt: Runtime, now: datetime | None = None) -> None:
        self.rt = rt
        self.now = now or rt.now()
        self.problems: dict[int, ChannelProblem] = {}  # account id → its channel's problem
        self._channels: dict[str, _Channel] = {}
        self._own_team: str | None = None
        self._bot_user = ""
        self.paces = tier_paces(rt.slack)

    async def own_team(self) -> str:
        """Our workspace's team id, from `auth.test`; people of another team are external."""
        if self._own_team is None:
            found = await self.rt.slack.auth_test()
            self._own_team = str(found.get("team_id") or "")
            self._bot_user = str(found.get("user_id") or "")
        return self._own_team

    async def find_in_channel(self, channel: str, email: str) -> dict[str, Any] | None:
        """The `users.info` user in `channel` whose profile email is `email`, if any.

        Raises ChannelUnreadable when the bot cannot list the channel's members.
        """
        known = await self._channel(channel)
        wanted = email.lower()
        fetched: list[dict[str, Any]] = []
        while wanted not in known.by_email and known.scanned < len(known.members):
            batch = known.members[known.scanned : known.scanned + INFO_AT_ONCE]
            known.scanned += len(batch)
            asking = [m for m in batch if m not in known.known and m != self._bot_user]
            found_now = [u for u in await asyncio.gather(*map(self._user, asking)) if u]
            fetched += found_now
            for user in [known.known[m] for m in batch if m in known.known] + found_now:
                found = (user.get("profile") or {}).get("email")
                if found and not user.get("deleted") and not user.get("is_bot"):
                    known.by_email.setdefault(str(found).lower(), user)
        rows = [_row(user) for user in fetched if _listable(user)]
        if rows:  # kept for the next campaign: one write per look in the channel
            async with self.rt.db.transaction() as session:
                await store.save_users(
                    session=session, source=channel, users=rows, now=self.rt.now()
                )
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
            else:
                known.known = await self._listed_lately(known.members)
        if known.error is not None:
            raise ChannelUnreadable(channel, known.error)
        return known

    async def _members(self, channel: str) -> AsyncIterator[str]:
        cursor: str | None = None
        while True:
            await self.paces.wait("conversations.members")
            page = await self.rt.slack.conversations_members(
                channel=channel, limit=MEMBERS_PAGE, cursor=cursor
            )
            for member in page.get("members") or []:
                yield str(member)
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return

    async def _listed_lately(self, members: list[str]) -> dict[str, dict[str, Any]]:
        """The members a listing showed within `REACH_LISTING_MAX_AGE`: not asked again."""
        max_age = self.rt.settings.reach_listing_max_age
        await self.own_team()  # and the bot's own user id: never asked about
        async with self.rt.db.session() as session:
            cached = await store.people_by_id(session=session, user_ids=members)
        return {
            member: _slack_user(row)
            for member, row in cached.items()
            if _fresh(row, self.now, max_age)
        }

    async def _user(self, user_id: str) -> dict[str, Any] | None:
        try:
            await self.paces.wait("users.info")
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
        return f"{LOOKUP_FAILED} ({code})"
    return None


async def resolve_for_event(rt: Runtime, contact: Contact, now: datetime) -> str | None:
    """`resolve` for one event's survey: Slack is asked only for what is not known yet.

    A complete, fresh `users.list` in the database answers without a call; without one
    (none yet, or too old to trust for this contact) Slack is asked about the contact.
    """
    async with rt.db.session() as session:
        account = await session.get(Account, contact.account_id)
        if account is None:
            return SkipReason.NO_SLACK_USER
        if _known(contact, now, None):
            return None
        listed = await store.listing(session=session, source=USERS_LIST)
        cached = (await store.people_by_email(session=session, emails=[contact.email])).get(
            contact.email
        )
    max_age = rt.settings.reach_listing_max_age
    if cached is not None and _fresh(cached, now, max_age):
        _remember(contact, _slack_user(cached), cached.team_id or "", now)
        return None
    if _complete(listed, now, max_age) and not account.slack_channel:
        return SkipReason.NO_SLACK_USER  # not in a complete, fresh listing: no look-up
    return await resolve(rt, contact, account, Directory(rt, now), now, fresh_for=None)


@dataclass
class Resolved:
    """What one pass of `resolve_pending` settled."""

    found: int = 0
    unreachable: int = 0
    problems: list[ChannelProblem] = field(default_factory=list)
    # Another process was reading users.list: who it has not shown yet still waits for it.
    listing_elsewhere: bool = False


_Waiting = list[tuple[Invitation, Contact, Account]]


async def resolve_pending(
    rt: Runtime, now: datetime, *, campaign_id: int | None = None, chunk: int = RESOLVE_CHUNK
) -> Resolved:
    """Find in Slack the people of every `resolving` invitation, and schedule or skip each.

    In order: what the database knows (a contact checked within `CAMPAIGN_FRESHNESS`, or
    listed within `REACH_LISTING_MAX_AGE`); `users.list`, page by page, settling each
    page's people as it comes; then, for who is left, the stored Slack id (`users.info`),
    `users.lookupByEmail` only if `users.list` could not be completed, and the account's
    shared channel. Each settle is a conditional update: a row settled by another process
    is left alone. Raises SlackConfigError when Slack refuses the bot itself.

    The rows are read `chunk` at a time, oldest first, so memory stays flat however many
    there are.
    """
    total = Resolved()
    directory = Directory(rt, now)  # one for all chunks: channels listed, team known, once
    after = 0
    while True:
        async with rt.db.session() as session:
            rows = await store.resolving(
                session=session, campaign_id=campaign_id, after_id=after, limit=chunk
            )
            listed = await store.listing(session=session, source=USERS_LIST)
        if not rows:
            return total
        part = await _resolve(rt, now, rows, listed, directory, campaign_id)
        total.found += part.found
        total.unreachable += part.unreachable
        total.problems = part.problems  # the directory's, every chunk's so far
        if part.listing_elsewhere:  # its pages settle the rest; the next pass looks again
            total.listing_elsewhere = True
            return total
        if len(rows) < chunk:
            return total
        after = rows[-1][0].id or 0


async def _resolve(
    rt: Runtime,
    now: datetime,
    rows: list[tuple[Invitation, Contact, Account]],
    listed: ReachListing | None,
    directory: Directory,
    campaign_id: int | None = None,
) -> Resolved:
    """`resolve_pending` for one chunk of rows, with the listing as it stood before it."""
    waiting: dict[str, _Waiting] = {}
    for invitation, contact, account in rows:
        waiting.setdefault(contact.email, []).append((invitation, contact, account))
    out = _Outcomes(rt, directory, now)
    if not waiting:
        return out.resolved
    max_age = rt.settings.reach_listing_max_age
    for email, group in list(waiting.items()):
        if _known(group[0][1], now, CAMPAIGN_FRESHNESS):
            await out.found(group, None)
            del waiting[email]
    async with rt.db.session() as session:
        cached = await store.people_by_email(session=session, emails=list(waiting))
    for email, row in cached.items():
        if _fresh(row, now, max_age) and email in waiting:
            await out.found(waiting.pop(email), _slack_user(row))
    await out.flush()
    complete = _complete(listed, now, max_age)
    # Customers in shared channels are looked for while users.list is read (Tier 4 beside
    # Tier 2); who a channel does not show waits for the listing's end.
    in_channels = [g for g in waiting.values() if g[0][2].slack_channel]
    later: list[_Waiting] = []

    async def channels() -> None:
        for group in in_channels:
            if waiting.pop(group[0][1].email, None) is not None:  # not found meanwhile
                if not await out.settle_in_channel(group):
                    later.append(group)

    if waiting and not complete:
        chunk = _Chunk(rows[0][0].id or 0, rows[-1][0].id or 0, campaign_id)
        listing, _ = await asyncio.gather(_list_workspace(rt, now, waiting, out, chunk), channels())
        if listing is None:  # another process reads it: who is left waits for its pages
            await out.flush()
            out.resolved.problems = list(directory.problems.values())
            out.resolved.listing_elsewhere = True
            return out.resolved
        complete = listing
    else:
        await channels()
    async with rt.db.session() as session:  # who the listing showed after the channel's turn
        cached = await store.people_by_email(session=session, emails=[g[0][1].email for g in later])
    for group in later:
        shown = cached.get(group[0][1].email)
        if shown is not None and _fresh(shown, now, max_age):
            await out.found(group, _slack_user(shown))
        else:
            await out.settle_one(group, complete)
    for group in waiting.values():
        await out.settle_one(group, complete)
    await out.flush()
    out.resolved.problems = list(directory.problems.values())
    return out.resolved


@dataclass(frozen=True)
class _Chunk:
    """The rows one `_resolve` holds (by first and last id), and the campaign it is for."""

    first: int
    last: int
    campaign_id: int | None


async def _list_workspace(
    rt: Runtime, now: datetime, waiting: dict[str, _Waiting], out: _Outcomes, chunk: _Chunk
) -> bool | None:
    """Read `users.list` to its end, settling who each page shows, in this chunk and beyond
    it; False if it stopped short, None if another process is reading it (or just read it).

    One process at a time reads the listing, under a lease renewed with each page
    (`LISTING_LEASE`); an interrupted listing goes on from its cursor, by whoever is next.
    """
    max_age = rt.settings.reach_listing_max_age
    holder = uuid.uuid4().hex
    async with rt.db.transaction() as session:
        listed = await store.claim_listing(
            session=session, source=USERS_LIST, holder=holder, now=rt.now(), lease=LISTING_LEASE
        )
    if listed is None:
        return None
    try:
        if _complete(listed, now, max_age):  # completed since this pass read it
            await _give_up(rt, holder)
            return None  # the next pass finds these people in the database
        return await _read_listing(rt, listed, now, holder, waiting, out, chunk)
    except BaseException:  # cancelled (`send` waits a while), or Slack refused the bot
        with contextlib.suppress(Exception):
            await _give_up(rt, holder)
        raise


async def _give_up(rt: Runtime, holder: str) -> None:
    """Release `holder`'s lease on users.list, so the next process need not wait it out."""
    async with rt.db.transaction() as session:
        await store.release_listing(session=session, source=USERS_LIST, holder=holder)


async def _read_listing(
    rt: Runtime,
    listed: ReachListing,
    now: datetime,
    holder: str,
    waiting: dict[str, _Waiting],
    out: _Outcomes,
    chunk: _Chunk,
) -> bool | None:
    """`_list_workspace` once the lease is held."""
    max_age = rt.settings.reach_listing_max_age
    cursor: str | None = None
    resuming = (
        listed.completed_at is None
        and listed.cursor
        and listed.error is None
        and now - listed.started_at < max_age
    )
    if resuming:
        cursor = listed.cursor  # an interrupted listing goes on where it stopped
    else:
        async with rt.db.transaction() as session:
            await store.start_listing(session=session, source=USERS_LIST, now=rt.now())
    paces = tier_paces(rt.slack)
    with_email = 0
    while True:
        try:
            await paces.wait(USERS_LIST)
            page = await rt.slack.users_list(limit=USERS_PAGE, cursor=cursor, include_locale=True)
        except SlackError as exc:
            code = error_code(exc)
            if code in CONFIG_ERRORS:
                raise _refused(code) from exc
            log.warning("users.list stopped short", extra={"error": code})
            async with rt.db.transaction() as session:
                await store.stop_listing(session=session, source=USERS_LIST, error=code)
            return False
        rows = [_row(user) for user in page.get("members") or [] if _listable(user)]
        with_email += sum(1 for row in rows if row["email"])
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        async with rt.db.transaction() as session:
            held = await store.save_page(
                session=session,
                source=USERS_LIST,
                users=rows,
                cursor=cursor,
                now=rt.now(),
                holder=holder,
                lease=LISTING_LEASE,
            )
        if not held:  # the lease ran out (a long 429 pause) and another process went on
            log.info("users.list taken over by another process")
            return None
        await _settle_page(rt, rows, waiting, out, chunk)
        if not cursor:
            break
    if not with_email and not resuming:  # no emails shown (users:read.email missing?)
        await _give_up(rt, holder)
        return False
    async with rt.db.transaction() as session:
        await store.complete_listing(session=session, source=USERS_LIST, now=rt.now())
    return True


async def _settle_page(
    rt: Runtime,
    rows: list[dict[str, Any]],
    waiting: dict[str, _Waiting],
    out: _Outcomes,
    chunk: _Chunk,
) -> None:
    """Settle who one page of `users.list` shows: this chunk's people, and the rows other
    chunks hold for them, so a campaign's DMs start with the first page whatever its size."""
    shown = {row["email"]: row for row in rows if row["email"]}
    for email, row in shown.items():
        group = waiting.pop(email, None)
        if group:
            await out.found(group, _slack_user_of(row))
    async with rt.db.session() as session:
        beyond = await store.resolving_for(
            session=session,
            emails=list(shown),
            outside=(chunk.first, chunk.last),
            campaign_id=chunk.campaign_id,
        )
    others: dict[str, _Waiting] = {}
    for invitation, contact, account in beyond:
        others.setdefault(contact.email, []).append((invitation, contact, account))
    for email, group in others.items():
        await out.found(group, _slack_user_of(shown[email]))
    await out.flush()


class _Outcomes:
    """Settles resolving invitations in batches: the contact's Slack identity and the row."""

    BATCH = 500

    def __init__(self, rt: Runtime, directory: Directory, now: datetime) -> None:
        self.rt, self.directory, self.now = rt, directory, now
        self.resolved = Resolved()
        self._contacts: list[dict[str, Any]] = []
        self._rows: list[dict[str, Any]] = []

    async def found(self, group: _Waiting, user: dict[str, Any] | None) -> None:
        contact = group[0][1]
        if user is not None:
            _remember(contact, user, await self.directory.own_team(), self.now)
            self._contacts.append(
                {
                    "id": contact.id,
                    "slack_user_id": contact.slack_user_id,
                    "slack_team_id": contact.slack_team_id,
                    "tz": contact.tz,
                    "locale": contact.locale,
                    "slack_checked_at": contact.slack_checked_at,
                    "updated_at": contact.updated_at,
                }
            )
        for invitation, _, _ in group:
            self._rows.append({"id": invitation.id, "due_at": self._due(invitation, contact)})
            self.resolved.found += 1
        await self._maybe_flush()

    async def unreachable(self, group: _Waiting, reason: str) -> None:
        contact = group[0][1]
        email_on = bool(self.rt.settings.smtp_url)
        for invitation, _, _ in group:
            if reason in UNREACHABLE_REASONS and email_on:  # Slack cannot reach them: email
                due = self._due(invitation, contact)
                self._rows.append({"id": invitation.id, "due_at": due, "channel": "email"})
                self.resolved.found += 1
            else:
                self._rows.append(
                    {"id": invitation.id, "due_at": invitation.due_at, "skip_reason": reason}
                )
                self.resolved.unreachable += 1
        await self._maybe_flush()

    async def settle_in_channel(self, group: _Waiting) -> bool:
        """A customer found by their stored id or in their account's shared channel (settled,
        True); False when neither shows them (the caller tries the rest once users.list is
        read). A channel the bot cannot read, or Slack failing, settles them as unreachable."""
        _, contact, account = group[0]
        assert account.slack_channel
        try:
            user = await _by_id(self.rt, contact) or await self.directory.find_in_channel(
                account.slack_channel, contact.email
            )
        except ChannelUnreadable as exc:
            self._unreadable(account, exc)
            await self.unreachable(group, SkipReason.CHANNEL_UNREADABLE)
            return True
        except SlackError as exc:
            code = error_code(exc)
            if code in CONFIG_ERRORS:
                raise _refused(code) from exc
            log.warning("slack lookup failed", extra={"contact_id": contact.id, "error": code})
            await self.unreachable(group, f"{LOOKUP_FAILED} ({code})")
            return True
        if user is None:
            return False
        await self.found(group, user)
        return True

    def _unreadable(self, account: Account, exc: ChannelUnreadable) -> None:
        problems = self.directory.problems
        if account.id is not None and account.id not in problems:
            problems[account.id] = ChannelProblem(account.name, exc.channel, exc.code)
            log.warning("shared channel unreadable", extra={"error": exc.code})

    async def settle_one(self, group: _Waiting, listing_complete: bool) -> None:
        """Who no listing answered: their stored id, lookupByEmail, their shared channel."""
        _, contact, account = group[0]
        rt, directory = self.rt, self.directory
        try:
            user = await _by_id(rt, contact)
            if user is None and not listing_complete:
                user = await _by_email(rt, contact)
            if user is None and account.slack_channel:
                try:
                    user = await directory.find_in_channel(account.slack_channel, contact.email)
                except ChannelUnreadable as exc:
                    self._unreadable(account, exc)
                    await self.unreachable(group, SkipReason.CHANNEL_UNREADABLE)
                    return
        except SlackError as exc:
            code = error_code(exc)
            if code in CONFIG_ERRORS:
                raise _refused(code) from exc
            log.warning("slack lookup failed", extra={"contact_id": contact.id, "error": code})
            await self.unreachable(group, f"{LOOKUP_FAILED} ({code})")
            return
        if user is None:
            await self.unreachable(group, SkipReason.NO_SLACK_USER)
        else:
            await self.found(group, user)

    def _due(self, invitation: Invitation, contact: Contact) -> datetime:
        if invitation.due_at <= invitation.created_at:  # `send --now`
            return self.now
        return next_relationship_slot(self.now, contact.tz)

    async def _maybe_flush(self) -> None:
        if len(self._rows) >= self.BATCH:
            await self.flush()

    async def flush(self) -> None:
        if not (self._rows or self._contacts):
            return
        contacts, rows = self._contacts, self._rows
        self._contacts, self._rows = [], []
        async with self.rt.db.transaction() as session:
            await store.update_contacts(session=session, contacts=contacts)
            await store.settle_many(session=session, rows=rows, now=self.now)


def known_lately(contact: Contact, now: datetime) -> bool:
    """Whether a campaign may use what Slack said of the contact without asking again."""
    return _known(contact, now, CAMPAIGN_FRESHNESS)


def is_external(contact: Contact, own_team: str) -> bool:
    """Whether the contact belongs to another organisation (a Slack Connect customer)."""
    return bool(contact.slack_team_id) and contact.slack_team_id != own_team


async def _by_id(rt: Runtime, contact: Contact) -> dict[str, Any] | None:
    """The user the contact's stored id names, asked again; None when gone or deleted."""
    if not contact.slack_user_id:
        return None
    try:
        await tier_paces(rt.slack).wait("users.info")
        info = await rt.slack.users_info(user=contact.slack_user_id, include_locale=True)
    except SlackError as exc:
        if error_code(exc) in NOT_FOUND:
            return None
        raise
    user = dict(info["user"])
    return None if user.get("deleted") else user


async def _by_email(rt: Runtime, contact: Contact) -> dict[str, Any] | None:
    """A member or guest of our workspace with the contact's email, with zone and locale."""
    paces = tier_paces(rt.slack)
    try:
        await paces.wait("users.lookupByEmail")
        found = await rt.slack.users_lookupByEmail(email=contact.email)
        await paces.wait("users.info")
        info = await rt.slack.users_info(user=found["user"]["id"], include_locale=True)
    except SlackError as exc:
        if error_code(exc) in NOT_FOUND:
            return None
        raise
    user = dict(info["user"])
    return None if user.get("deleted") else user


def _fresh(row: ReachUser, now: datetime, max_age: timedelta) -> bool:
    return now - row.seen_at < max_age


def _complete(listed: ReachListing | None, now: datetime, max_age: timedelta) -> bool:
    """A listing that reached its last page less than `max_age` ago."""
    done = listed.completed_at if listed is not None else None
    return done is not None and now - done < max_age


def _listable(user: dict[str, Any]) -> bool:
    """A member or guest who can be asked: not deleted, not a bot (nor Slackbot)."""
    return not (user.get("deleted") or user.get("is_bot") or user.get("id") == "USLACKBOT")


def _row(user: dict[str, Any]) -> dict[str, Any]:
    """A Slack user as a `reach_users` row."""
    email = (user.get("profile") or {}).get("email")
    return {
        "user_id": str(user["id"]),
        "email": str(email).lower() if email else None,
        "team_id": user.get("team_id"),
        "tz": user.get("tz"),
        "locale": user.get("locale"),
    }


def _slack_user_of(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["user_id"],
        "team_id": row["team_id"],
        "tz": row["tz"],
        "locale": row["locale"],
        "profile": {"email": row["email"]},
    }


def _slack_user(row: ReachUser) -> dict[str, Any]:
    return _slack_user_of(
        {
            "user_id": row.user_id,
            "team_id": row.team_id,
            "tz": row.tz,
            "locale": row.locale,
            "email": row.email,
        }
    )


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
