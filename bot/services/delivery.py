"""Delivering survey DMs exactly once, reminding once, expiring, and reconciling crashes.

An invitation is claimed (`scheduled` → `sending`, with a lease) before its DM is posted
and marked `sent` after. Each DM carries message metadata naming its invitation, so when a
sender dies in between, whoever takes over the expired lease looks in the DM's history:
found → `sent`; not found → `scheduled` again. Nothing is sent twice and nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import aiohttp

from blocks.exit_survey import exit_blocks, exit_reminder_text
from blocks.ids import SURVEY_METADATA_EVENT
from blocks.questions import chain_blocks
from blocks.surveys import closed_blocks, reminder_text, survey_json, survey_text
from blocks.surveys import to_dicts as blocks_json
from bot.core.leases import renew_until
from bot.core.runtime import Runtime
from bot.core.slack import (
    CONFIG_ERRORS,
    RECIPIENT_ERRORS,
    error_code,
    find_by_metadata,
    outcome_unknown,
)
from bot.core.slack_errors import SlackError
from bot.domain.cards import SurveyCard
from bot.domain.errors import SlackConfigError
from bot.domain.exit_survey import EXIT_KIND
from bot.domain.reports import DeliveryReport
from bot.domain.vocabulary import DeliveryChannel, InvitationStatus, SkipReason
from bot.services import email_survey, followups, shared_surveys, wording
from bot.services.survey_messages import in_shared_channel, update_survey_message
from storage import invitations
from storage.models import Contact, Invitation

log = logging.getLogger(__name__)
S = InvitationStatus

BATCH = 100
# DMs in flight at once: the pacer stays busy while some wait on Slack or for a lost
# answer's recheck (LOST_ANSWER_RECHECK, 3 s). With 5% answered 503 a process sending 33 a
# second has five senders waiting so; with eight, the three workers left after one of four
# was killed sent 85-90 DMs/s at a cap of 100, where the four had sent 93.
SENDERS = 16
CLAIM = 2 * SENDERS  # rows claimed at a time, just ahead of the senders
# DMs per `run-due` pass (~1 min at 20/s), so the pass's other jobs get their turn; the
# scheduler's own delivery job (bot/scheduler.py `deliver_tick`) runs beside the passes
# and has no limit: a pause every thousand DMs, while the last senders finished their
# retries, cost a campaign about 5% of the cap.
PASS_LIMIT = 1000
MAX_ATTEMPTS = 5
# A DM whose answer Slack lost (a 5xx) is looked up by its metadata and, when not there,
# posted again this many times within the send, `LOST_ANSWER_RECHECK` apart; after
# that the row waits its backoff (a minute or more) like any refused send. With two, one
# post in 8,000 met that minute when Slack refused 5% of them: a campaign's last survey
# a minute late in one run out of six.
LOST_ANSWER_RECHECKS = 3
HISTORY_SLACK = timedelta(hours=1)  # look well before `sending_since`: clocks drift


def card_for(invitation: Invitation, contact: Contact, *, asked: str | None = None) -> SurveyCard:
    """The survey card; `asked` the question filled in at send time, else the one the
    invitation was sent with, else the catalog's."""
    assert invitation.id is not None
    asked = asked or invitation.question
    return SurveyCard(
        invitation.id, invitation.kind, invitation.trigger, contact.locale, question=asked
    )


def dm_blocks(card: SurveyCard) -> list[dict]:
    """The survey DM's blocks: the scored survey, or the exit survey (blocks/exit_survey.py)."""
    if card.kind == EXIT_KIND:
        return blocks_json(exit_blocks(card))
    return survey_json(card)


def survey_metadata(invitation_id: int) -> dict[str, object]:
    return {"event_type": SURVEY_METADATA_EVENT, "event_payload": {"invitation_id": invitation_id}}


async def deliver_due(
    rt: Runtime, now: datetime, *, limit: int | None = PASS_LIMIT
) -> DeliveryReport:
    """Claim due invitations a few at a time and DM them, `SENDERS` at once under the pacer.

    Each DM still goes claim → `sending` (leased) → postMessage with metadata → `sent`, so
    overlapping sends changes nothing about exactly-once. Rows are claimed just ahead of
    the senders, so their leases stay fresh. When the pass stops early (Slack refused the
    bot, or an unexpected error) the senders finish what they hold and every claimed row
    not yet posted goes back to `scheduled`; the error is raised after that.

    While the pass runs, the leases of the rows it holds are renewed every quarter of
    `SEND_LEASE`, so the lease can be short: if this process dies, its rows are reconciled
    about one lease later. A row is posted only while its last renewal is less than half a
    lease old; otherwise it goes back to `scheduled` rather than risk a second DM.
    """
    fanout = _Fanout(rt, now, limit, await wording.load(rt))
    renewing = asyncio.create_task(fanout.renew_while_sending())
    try:
        await asyncio.gather(*(fanout.sender() for _ in range(SENDERS)))
    finally:
        fanout.finished.set()
        await renewing
    if fanout.stopped_by is not None:
        await _release_all(rt, fanout.unsent + [invitation for invitation, *_ in fanout.queue], now)
        raise fanout.stopped_by
    return fanout.report


class _Fanout:
    """One delivery pass: a queue of claimed rows that `SENDERS` sender tasks drain."""

    def __init__(
        self, rt: Runtime, now: datetime, limit: int | None, wordings: wording.Wordings
    ) -> None:
        self.rt = rt
        self.wordings = wordings
        self.now = now
        self.limit = limit
        self.report = DeliveryReport()
        self.queue: deque[tuple[Invitation, Contact, float]] = deque()
        self.stopped_by: Exception | None = None
        self.unsent: list[Invitation] = []  # taken by a sender, refused before posting
        self.finished = asyncio.Event()
        # Claimed and not yet settled: id -> monotonic time its lease was last taken or renewed.
        self.held: dict[int, float] = {}
        self._lease = rt.settings.send_lease.total_seconds()
        self._claimed = 0
        self._exhausted = False
        self._started = time.monotonic()
        self._claiming = asyncio.Lock()

    async def sender(self) -> None:
        while (item := await self._next()) is not None:
            invitation, contact, _claimed_at = item
            try:
                await _deliver_one(
                    self.rt,
                    invitation,
                    contact,
                    self._now(),
                    self.report,
                    self._fresh(invitation),
                    self.wordings,
                )
            except SlackConfigError as exc:
                self._stop(exc)
                self.unsent.append(invitation)  # refused before posting
            except Exception as exc:  # the row stays `sending`: reconciliation settles it
                log.exception("survey send failed", extra=_fields(invitation, repr(exc)))
                self._stop(exc)
            finally:
                self.held.pop(invitation.id or 0, None)

    def _now(self) -> datetime:
        """What a claim is due by, and a failed send's backoff counts from: a pass's `now`
        (its limit keeps it short); for the scheduler's delivery job, which has no limit and
        runs as long as a campaign takes, that moment moved on by the time it has run."""
        if self.limit is not None:
            return self.now
        return self.now + timedelta(seconds=time.monotonic() - self._started)

    def _fresh(self, invitation: Invitation) -> Callable[[], bool]:
        """Whether the row's lease, taken or last renewed, still has half its length."""
        key = invitation.id or 0
        return lambda: time.monotonic() < self.held.get(key, 0.0) + self._lease / 2

    async def renew_while_sending(self) -> None:
        """Renew the held leases every quarter lease until the pass ends."""
        await renew_until(self.finished, self._lease, self._renew)

    async def _renew(self) -> None:
        at = time.monotonic()
        try:
            async with self.rt.db.transaction() as session:
                renewed = await invitations.renew_leases(
                    session=session,
                    ids=sorted(self.held),
                    now=self._lease_until(at) - self.rt.settings.send_lease,
                    until=self._lease_until(at),
                )
        except Exception:  # not renewed: the senders see the lease age and hand rows back
            log.warning("survey lease renewal failed", exc_info=True)
            return
        for key in renewed:
            if key in self.held:
                self.held[key] = at

    def _lease_until(self, at: float) -> datetime:
        """`now` + the time this pass has been running + one lease (the pass's `now` is fixed)."""
        return self.now + timedelta(seconds=at - self._started + self._lease)

    def _stop(self, exc: Exception) -> None:
        if self.stopped_by is None:
            self.stopped_by = exc

    async def _next(self) -> tuple[Invitation, Contact, float] | None:
        async with self._claiming:  # one sender claims for all; the rest wait for its rows
            if self.stopped_by is None and not self.queue:
                await self._claim()
            if self.stopped_by is not None or not self.queue:
                return None
            return self.queue.popleft()

    async def _claim(self) -> None:
        wanted = CLAIM if self.limit is None else min(CLAIM, self.limit - self._claimed)
        if self._exhausted or wanted <= 0 or self.rt.stopping.is_set():
            return  # the rest stay due: another pass, or this process once restarted
        due_by = self._now()
        # The lease counts from this claim, however long the pass has been running.
        leased_until = self._lease_until(time.monotonic())
        try:
            async with self.rt.db.transaction() as session:
                claimed = await invitations.claim_due(
                    session=session, now=due_by, lease=leased_until - due_by, limit=wanted
                )
        except Exception as exc:
            self._stop(exc)
            return
        self._claimed += len(claimed)
        self._exhausted = len(claimed) < wanted
        at = time.monotonic()
        self.held.update((invitation.id or 0, at) for invitation, _ in claimed)
        self.queue.extend((invitation, contact, at) for invitation, contact in claimed)


async def _deliver_one(
    rt: Runtime,
    invitation: Invitation,
    contact: Contact,
    now: datetime,
    report: DeliveryReport,
    fresh: Callable[[], bool],
    wordings: wording.Wordings,
) -> None:
    assert invitation.id is not None
    if contact.opted_out or not contact.slack_user_id:
        reason = SkipReason.OPTED_OUT if contact.opted_out else SkipReason.NO_SLACK_USER
        await _finish(rt, invitation.id, {"status": S.SKIPPED, "skip_reason": reason}, now)
        return
    asked = await wordings.for_contact(invitation, contact)
    card = card_for(invitation, contact, asked=asked)
    for attempt in range(1 + LOST_ANSWER_RECHECKS):
        if attempt:  # the last answer was lost: give Slack a moment, then look before re-posting
            await asyncio.sleep(rt.lost_answer_recheck.total_seconds())
        await rt.pacer.wait()
        if not fresh():
            # Waited so long (Slack kept pausing us, or renewals failed) that the lease could
            # run out mid-send and another worker reconcile it: hand the row back, never a
            # second DM.
            await _release_all(rt, [invitation], now)
            report.requeued += 1
            return
        if await _posted_before(rt, invitation, contact, now, report, wording.kept(card)):
            return
        try:
            posted = await rt.slack.chat_postMessage(
                channel=contact.slack_user_id,
                text=survey_text(card),
                blocks=dm_blocks(card),
                metadata=survey_metadata(invitation.id),
                unfurl_links=False,
            )
            break
        except SlackError as exc:
            code = error_code(exc)
            if outcome_unknown(code) and attempt < LOST_ANSWER_RECHECKS:
                invitation.error = code  # so `_posted_before` looks it up first
                continue
            shareable = invitation.kind != EXIT_KIND  # an exit survey is never asked in a channel
            if shareable and await shared_surveys.reroute(rt, invitation, contact, code, now):
                report.rerouted += 1
                return
            await _on_send_error(rt, invitation, code, now, report)
            return
        except (TimeoutError, aiohttp.ClientError) as exc:
            # Slack may have the message: leave it `sending`; reconciliation decides after
            # the lease.
            log.warning("survey send outcome unknown", extra=_fields(invitation, repr(exc)))
            report.retry_later += 1
            return
    values = {"status": S.SENT, "sent_at": rt.now(), "dm_channel": posted["channel"]}
    values |= {"message_ts": posted["ts"], "lease_until": None, "error": None}
    values |= {"channel": DeliveryChannel.SLACK, "question": wording.kept(card)}
    await _finish(rt, invitation.id, values, now, from_statuses=(S.SENDING,))
    report.sent += 1


async def _posted_before(
    rt: Runtime,
    invitation: Invitation,
    contact: Contact,
    now: datetime,
    report: DeliveryReport,
    question: str | None,
) -> bool:
    """After a lost answer (a 5xx) the DM may be in Slack: look it up before posting again.

    True when it was found and recorded as `sent`, with the `question` it asked (kept for
    later redraws, as for a DM whose answer arrived). A failed look-up leaves the row
    `sending`, so reconciliation looks again once the lease runs out.
    """
    if not invitation.error or not outcome_unknown(invitation.error):
        return False
    assert invitation.id is not None
    try:
        found = await _find_sent_message(rt, invitation, contact)
    except (SlackError, TimeoutError, aiohttp.ClientError) as exc:
        log.warning("survey look-up failed", extra=_fields(invitation, repr(exc)))
        report.retry_later += 1
        return True
    if found is None:
        return False
    channel, ts = found
    values = {"status": S.SENT, "sent_at": invitation.sending_since or now, "dm_channel": channel}
    values |= {"message_ts": ts, "lease_until": None, "error": None}
    values |= {"channel": DeliveryChannel.SLACK, "question": question}
    await _finish(rt, invitation.id, values, now, from_statuses=(S.SENDING,))
    report.reconciled += 1
    return True


async def deliver_shared(rt: Runtime, now: datetime) -> DeliveryReport:
    """Post the surveys due in shared channels (see bot/services/shared_surveys.py)."""
    return DeliveryReport(shared=await shared_surveys.deliver_due(rt, now))


async def _on_send_error(
    rt: Runtime, invitation: Invitation, code: str, now: datetime, report: DeliveryReport
) -> None:
    assert invitation.id is not None
    if code in CONFIG_ERRORS:
        log.error("slack refused the bot; delivery paused", extra=_fields(invitation, code))
        raise SlackConfigError(code)
    if (
        code in RECIPIENT_ERRORS
        or code.startswith("invalid_")
        or invitation.attempts >= MAX_ATTEMPTS
    ):
        log.warning("survey failed", extra=_fields(invitation, code))
        await _finish(rt, invitation.id, {"status": S.FAILED, "error": code}, now)
        report.failed += 1
        return
    # Refused (429 past the client's retries) or a lost answer (5xx: Slack may have the DM,
    # so the next claim looks it up before posting, see `_posted_before`): try again later.
    backoff = timedelta(minutes=2 ** max(0, invitation.attempts - 1))
    values = {"status": S.SCHEDULED, "due_at": now + backoff, "lease_until": None, "error": code}
    await _finish(rt, invitation.id, values, now)
    report.retry_later += 1


async def reconcile_stale(rt: Runtime, now: datetime) -> DeliveryReport:
    """Settle invitations whose sender died between claiming and recording the DM."""
    async with rt.db.transaction() as session:
        stale = await invitations.claim_stale_sending(
            session=session, now=now, lease=rt.settings.send_lease, limit=BATCH
        )
    report = DeliveryReport()
    wordings = await wording.load(rt) if stale else None
    for invitation, contact in stale:
        assert invitation.id is not None
        try:
            found = await _find_sent_message(rt, invitation, contact)
        except SlackError as exc:
            code = error_code(exc)
            log.warning("reconcile lookup failed", extra=_fields(invitation, code))
            if code in RECIPIENT_ERRORS:
                await _finish(rt, invitation.id, {"status": S.FAILED, "error": code}, now)
            continue  # otherwise the lease runs out again and the next pass retries
        if found:
            channel, ts = found
            values = {"status": S.SENT, "sent_at": invitation.sending_since or now}
            values |= {"dm_channel": channel, "message_ts": ts, "lease_until": None}
            values |= {"channel": invitation.channel or DeliveryChannel.SLACK}
            if wordings is not None and invitation.channel != DeliveryChannel.SLACK_CHANNEL:
                # the wording it is asked with now: what the dead sender posted a lease ago
                asked = await wordings.for_contact(invitation, contact)
                values["question"] = wording.kept(card_for(invitation, contact, asked=asked))
            await _finish(rt, invitation.id, values, now, from_statuses=(S.SENDING,))
            report.reconciled += 1
        else:
            values = {"status": S.SCHEDULED, "due_at": now, "lease_until": None}
            await _finish(rt, invitation.id, values, now, from_statuses=(S.SENDING,))
            report.requeued += 1
    return report


async def _find_sent_message(
    rt: Runtime, invitation: Invitation, contact: Contact
) -> tuple[str, str] | None:
    if invitation.channel == DeliveryChannel.SLACK_CHANNEL:
        return await shared_surveys.find_post(rt, invitation)
    channel = invitation.dm_channel
    if not channel:
        opened = await rt.slack.conversations_open(users=contact.slack_user_id)
        channel = opened["channel"]["id"]
    ts = await find_by_metadata(
        rt.slack,
        channel=channel,
        since=(invitation.sending_since or invitation.due_at) - HISTORY_SLACK,
        event_type=SURVEY_METADATA_EVENT,
        key="invitation_id",
        value=invitation.id,
    )
    return (channel, ts) if ts else None


async def send_reminders(rt: Runtime, now: datetime) -> DeliveryReport:
    """One reminder per unanswered survey, `REMINDER_AFTER` after delivery."""
    settings = rt.settings
    async with rt.db.transaction() as session:
        due = await invitations.claim_reminders(
            session=session,
            now=now,
            remind_after=settings.reminder_after,
            expire_after=settings.expire_after,
        )
    report = DeliveryReport()
    by_email = [(i, c) for i, c in due if i.channel == DeliveryChannel.EMAIL and not c.opted_out]
    report.reminded += await email_survey.send_reminders(rt, by_email, now)
    for invitation, contact in due:
        if contact.opted_out or not invitation.dm_channel or in_shared_channel(invitation):
            continue  # a shared post is not reminded: one person's nudge would be everyone's
        await rt.pacer.wait()  # the same method and cap as the surveys themselves
        try:
            await rt.slack.chat_postMessage(
                channel=invitation.dm_channel,
                text=exit_reminder_text(contact.locale)
                if invitation.kind == EXIT_KIND
                else reminder_text(contact.locale),
            )
            report.reminded += 1
        except SlackError as exc:  # at most once: a lost reminder is better than two
            log.warning("reminder failed", extra=_fields(invitation, error_code(exc)))
    return report


async def expire_unanswered(rt: Runtime, now: datetime) -> DeliveryReport:
    """Close surveys unanswered after `EXPIRE_AFTER` and take the buttons off the DM."""
    async with rt.db.transaction() as session:
        expired = await invitations.claim_expiries(
            session=session, now=now, expire_after=rt.settings.expire_after
        )
    posts: set[tuple[str, str]] = set()
    for invitation, contact in expired:
        if in_shared_channel(invitation):
            posts.add((invitation.dm_channel or "", invitation.message_ts or ""))
            continue
        chain = await followups.chain_card(rt, invitation, closed="expired")
        blocks = chain_blocks(chain) if chain else closed_blocks_for(invitation, contact)
        await update_survey_message(rt, invitation, blocks, locale=contact.locale)
    await followups.close_unasked(rt, now)  # a follow-up whose first question closed
    for channel, ts in posts:
        await shared_surveys.refresh_post_at(rt, channel, ts)
    return DeliveryReport(expired=len(expired))


def closed_blocks_for(invitation: Invitation, contact: Contact) -> list[dict]:
    return blocks_json(closed_blocks(card_for(invitation, contact), reason="expired"))


async def _finish(
    rt: Runtime,
    invitation_id: int,
    values: Mapping[str, object],
    now: datetime,
    *,
    from_statuses: tuple[str, ...] = (S.SENDING,),
) -> bool:
    if values.get("status") in (S.FAILED, S.SKIPPED):
        values = {**values, "closed_at": now, "lease_until": None}
    async with rt.db.transaction() as session:
        return await invitations.transition(
            session=session, invitation_id=invitation_id, from_statuses=from_statuses, values=values
        )


async def _release_all(rt: Runtime, claimed: list[Invitation], now: datetime) -> None:
    """Put claimed rows that were never posted back to `scheduled`, as if never claimed."""
    for invitation in claimed:
        assert invitation.id is not None
        values = {"status": S.SCHEDULED, "lease_until": None, "attempts": invitation.attempts - 1}
        await _finish(rt, invitation.id, values, now)


def _fields(invitation: Invitation, error: str) -> dict[str, object]:
    return {"invitation_id": invitation.id, "slack_error": error}
