"""Surveys asked in an account's shared channel, for customers whose DM Slack refused.

When a DM to someone of another organisation is refused, their invitation is bound for
the account's Slack Connect channel (`invitations.channel = slack_channel`) and due again.
`deliver_due` then posts one message per channel addressed to everyone due there, with
metadata naming their invitations, exactly as a DM names its one: claim (`sending`,
leased) → post → `sent`, and `find_post` lets reconciliation find a post whose sender died.
A tap counts for the person who tapped, on their own invitation, once; they see their
score in an ephemeral message, with the question set's follow-ups to answer there (only
they see it, so only they can tap it; each answer is stored once on their invitation), and
the channel post only ever shows how many answered.
"""

from __future__ import annotations

import logging
import weakref
from collections import defaultdict
from datetime import datetime, timedelta

import aiohttp

from blocks.advocacy import answered_message
from blocks.catalog import t
from blocks.ids import SURVEY_METADATA_EVENT
from blocks.question_sets import followup_blocks
from blocks.shared_surveys import MAX_PEOPLE, shared_survey_blocks, shared_survey_text
from bot.core.runtime import Runtime
from bot.core.slack import CONFIG_ERRORS, RECIPIENT_ERRORS, error_code, outcome_unknown
from bot.core.slack_errors import SlackError
from bot.domain.cards import SharedSurveyCard, SurveyCard
from bot.domain.outcomes import TapOutcome
from bot.domain.vocabulary import DeliveryChannel, InvitationStatus
from bot.services import question_sets, taps, wording
from bot.services.taps import TapResult
from storage import invitations, shared_posts
from storage.models import Contact, Invitation

log = logging.getLogger(__name__)
S = InvitationStatus
SHARED = DeliveryChannel.SLACK_CHANNEL

# Slack's answers when it will not open a DM between the app and a person of another
# organisation: no shared channel (`invalid_user_combination`), their admins restrict apps
# (`restricted_action`), the person is not visible to us, or DMs with apps are switched off.
DM_REFUSED = frozenset(
    {
        "invalid_user_combination",
        "cannot_dm_bot",
        "messages_tab_disabled",
        "restricted_action",
        "user_not_visible",
        "channel_not_found",
    }
)
CLAIM = 200
HISTORY_SLACK = timedelta(hours=1)
MAX_ATTEMPTS = 5


async def reroute(
    rt: Runtime, invitation: Invitation, contact: Contact, code: str, now: datetime
) -> bool:
    """After a refused DM to an external contact: send the survey to the account's channel.

    True when the invitation is now due in the shared channel; False leaves the refusal to
    the usual handling (a member of our own workspace, or an account without a channel).
    """
    if code not in DM_REFUSED or not contact.slack_team_id or invitation.id is None:
        return False
    async with rt.db.session() as session:
        channel = await shared_posts.shared_channel_of(session=session, contact_id=contact.id or 0)
    if not channel or contact.slack_team_id == await _own_team(rt):
        return False
    values = {"status": S.SCHEDULED, "channel": SHARED, "dm_channel": channel, "due_at": now}
    values |= {"lease_until": None, "error": code}
    async with rt.db.transaction() as session:
        moved = await invitations.transition(
            session=session, invitation_id=invitation.id, from_statuses=(S.SENDING,), values=values
        )
    log.info("dm refused; survey goes to the shared channel", extra={"slack_error": code})
    return moved


async def deliver_due(rt: Runtime, now: datetime) -> int:
    """Post the surveys due in shared channels, one post per channel and kind; how many asked."""
    async with rt.db.transaction() as session:
        claimed = await shared_posts.claim_channel_due(
            session=session, now=now, lease=rt.settings.send_lease, limit=CLAIM
        )
    groups: dict[tuple[str, str, str], list[tuple[Invitation, Contact]]] = defaultdict(list)
    for invitation, contact in claimed:
        groups[(invitation.dm_channel or "", invitation.kind, invitation.trigger)].append(
            (invitation, contact)
        )
    asked = 0
    for (channel, _kind, _trigger), rows in groups.items():
        for start in range(0, len(rows), MAX_PEOPLE):
            asked += await _post(rt, channel, rows[start : start + MAX_PEOPLE], now)
    return asked


async def _post(
    rt: Runtime, channel: str, rows: list[tuple[Invitation, Contact]], now: datetime
) -> int:
    card = _card(rows, question=await _question(rt, rows))
    await rt.pacer.wait()
    try:
        posted = await rt.slack.chat_postMessage(
            channel=channel,
            text=shared_survey_text(card),
            blocks=shared_survey_blocks(card),
            metadata={
                "event_type": SURVEY_METADATA_EVENT,
                "event_payload": {"invitation_ids": list(card.invitation_ids)},
            },
            unfurl_links=False,
        )
    except SlackError as exc:
        if outcome_unknown(error_code(exc)):  # Slack may have the post: as for a lost answer
            log.warning("shared survey outcome unknown", extra={"error": error_code(exc)})
            return 0
        await _refused(rt, rows, error_code(exc), now)
        return 0
    except (TimeoutError, aiohttp.ClientError) as exc:
        # Slack may have the post: the rows stay `sending`; reconciliation decides.
        log.warning("shared survey outcome unknown", extra={"error": repr(exc)})
        return 0
    values = {"status": S.SENT, "sent_at": rt.now(), "dm_channel": posted["channel"]}
    values |= {"message_ts": posted["ts"], "lease_until": None, "error": None}
    async with rt.db.transaction() as session:
        for invitation, _contact in rows:
            await invitations.transition(
                session=session,
                invitation_id=invitation.id or 0,
                from_statuses=(S.SENDING,),
                values=values | {"question": wording.kept(card)},
            )
    return len(rows)


async def _refused(
    rt: Runtime, rows: list[tuple[Invitation, Contact]], code: str, now: datetime
) -> None:
    """A refused post: a channel the bot cannot use fails the rows; anything else retries."""
    final = code in RECIPIENT_ERRORS or code == "not_in_channel"
    log.warning("shared survey refused", extra={"slack_error": code})
    async with rt.db.transaction() as session:
        for invitation, _contact in rows:
            if final or invitation.attempts >= MAX_ATTEMPTS:
                values = {"status": S.FAILED, "error": code, "closed_at": now}
            else:
                backoff = timedelta(minutes=2 ** max(0, invitation.attempts - 1))
                if code in CONFIG_ERRORS:
                    backoff = timedelta(minutes=5)
                values = {"status": S.SCHEDULED, "due_at": now + backoff, "error": code}
            await invitations.transition(
                session=session,
                invitation_id=invitation.id or 0,
                from_statuses=(S.SENDING,),
                values={**values, "lease_until": None},
            )


async def find_post(rt: Runtime, invitation: Invitation) -> tuple[str, str] | None:
    """The shared-channel post naming this invitation in its metadata, if it was posted."""
    channel = invitation.dm_channel
    if not channel:
        return None
    since = (invitation.sending_since or invitation.due_at) - HISTORY_SLACK
    cursor: str | None = None
    while True:
        page = await rt.slack.conversations_history(
            channel=channel,
            oldest=f"{since.timestamp():.6f}",
            include_all_metadata=True,
            limit=200,
            cursor=cursor,
        )
        messages: list[dict] = page.get("messages", [])
        for message in messages:
            metadata = message.get("metadata") or {}
            ids = (metadata.get("event_payload") or {}).get("invitation_ids") or []
            if metadata.get("event_type") == SURVEY_METADATA_EVENT and invitation.id in ids:
                return channel, str(message["ts"])
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not page.get("has_more") or not cursor:
            return None


async def record_tap(
    rt: Runtime,
    *,
    invitation_ids: list[int],
    score: int,
    user_id: str,
    channel: str | None,
    message_ts: str | None,
    now: datetime,
) -> TapResult:
    """Record the tap as the tapper's own answer, if the post asks them; never anyone else's."""
    async with rt.db.session() as session:
        rows = await shared_posts.post_invitations(session=session, ids=invitation_ids)
    mine = [invitation for invitation, contact in rows if contact.slack_user_id == user_id]
    if not mine:
        return TapResult(TapOutcome.NOT_YOURS if rows else TapOutcome.UNKNOWN)
    return await taps.record_tap(
        rt,
        invitation_id=mine[0].id or 0,
        score=score,
        user_id=user_id,
        channel=channel,
        message_ts=message_ts,
        now=now,
    )


async def confirm_privately(
    rt: Runtime,
    card: SurveyCard,
    *,
    channel: str,
    user_id: str,
    offers: list[str] | None = None,
) -> None:
    """Show the person their own answer (and "Tell us why") where only they can see it,
    with the question set's follow-ups to answer (an ephemeral: only they can tap them)."""
    blocks = await private_blocks(rt, card, offers=offers)
    private = t(card.locale, "shared.private")
    try:
        await rt.slack.chat_postEphemeral(
            channel=channel, user=user_id, blocks=blocks, text=private
        )
    except SlackError as exc:
        log.warning("private confirmation failed", extra={"slack_error": error_code(exc)})


async def private_blocks(
    rt: Runtime, card: SurveyCard, *, offers: list[str] | None = None
) -> list[dict]:
    """What only the person sees of their answer in a shared channel: their score, "Tell us
    why", the question set's follow-ups (as answered so far) and that it is private."""
    blocks = answered_message(card, offers=offers or [], review_url=rt.settings.review_url)
    async with rt.db.session() as session:
        invitation = await session.get(Invitation, card.invitation_id)
    shown = await question_sets.card(rt, invitation, card.locale, rt.now()) if invitation else None
    private = t(card.locale, "shared.private")
    note = {"type": "context", "elements": [{"type": "mrkdwn", "text": private}]}
    return [*blocks, *followup_blocks(shown), note]


def is_shared(invitation: Invitation) -> bool:
    """Whether the survey was asked in a shared channel rather than a DM."""
    return invitation.channel == SHARED


async def refresh_post(rt: Runtime, invitation_ids: list[int], *, closed: bool = False) -> bool:
    """Redraw a shared post with how many of the people it asks have answered; no scores."""
    async with rt.db.session() as session:
        rows = await shared_posts.post_invitations(session=session, ids=invitation_ids)
    located = [(i.dm_channel, i.message_ts) for i, _ in rows if i.dm_channel and i.message_ts]
    if not rows or not located:
        return False
    channel, ts = located[0]
    card = _card(rows, closed=closed or all(i.status not in _OPEN for i, _ in rows))
    try:
        await rt.slack.chat_update(
            channel=channel,
            ts=ts,
            text=shared_survey_text(card),
            blocks=shared_survey_blocks(card),
        )
        return True
    except SlackError as exc:
        log.warning("shared survey update failed", extra={"slack_error": error_code(exc)})
        return False


async def refresh_post_at(rt: Runtime, channel: str, message_ts: str) -> bool:
    """`refresh_post` for the post at this place (e.g. after some of its surveys expired)."""
    async with rt.db.session() as session:
        ids = await shared_posts.ids_of_post(
            session=session, channel=channel, message_ts=message_ts
        )
    return await refresh_post(rt, ids) if ids else False


_OPEN = (S.SENDING, S.SENT, S.REMINDED)


async def _question(rt: Runtime, rows: list[tuple[Invitation, Contact]]) -> str:
    """The post's question: addressed to everyone it asks, so no one's first name."""
    first, contact = rows[0]
    locales = {person.locale for _, person in rows}
    return await (await wording.load(rt)).question(
        kind=first.kind,
        trigger=first.trigger,
        locale=locales.pop() if len(locales) == 1 else None,
        name=None,
        account_id=contact.account_id,
        many=True,
    )


def _card(
    rows: list[tuple[Invitation, Contact]], *, closed: bool = False, question: str | None = None
) -> SharedSurveyCard:
    first, _contact = rows[0]
    locales = {person.locale for _, person in rows}
    return SharedSurveyCard(
        invitation_ids=tuple(invitation.id or 0 for invitation, _ in rows),
        people=tuple(person.slack_user_id or "" for _, person in rows),
        kind=first.kind,
        trigger=first.trigger,
        locale=locales.pop() if len(locales) == 1 else None,  # one language, or English
        answered=sum(invitation.status == S.ANSWERED for invitation, _ in rows),
        closed=closed,
        question=question or first.question,
    )


_OWN_TEAMS: weakref.WeakKeyDictionary[object, str] = weakref.WeakKeyDictionary()


async def _own_team(rt: Runtime) -> str:
    """Our workspace's team id (`auth.test`), asked once per Slack client."""
    known = _OWN_TEAMS.get(rt.slack)
    if known is None:
        known = _OWN_TEAMS[rt.slack] = str((await rt.slack.auth_test()).get("team_id") or "")
    return known
