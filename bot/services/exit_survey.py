"""The exit survey's answer: recorded once, turned into themes, and passed to the CSM.

A churned customer's DM (bot/services/milestones.py sends it) opens a modal of reasons and
a comment. The answer is recorded in one transaction: the invitation becomes `answered`,
the reasons and comment are kept (storage/milestones.py) and become an insight tagged with
the reasons' themes (bot/domain/exit_survey.py) plus the comment's, so the digest counts
them; an `exit` question set's follow-ups then appear in the same DM, under the answer.
Then the account's CSM gets a DM with the answer, or #voc a card when the account has
no CSM. The copy is claimed with a lease before it is posted and looked for by its
metadata before a retry, so it goes out once; a scheduler pass retries one that did not.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession

from blocks.exit_survey import answered_blocks, notice_blocks, notice_text, reason_label
from blocks.ids import EXIT_ANSWER_METADATA_EVENT
from blocks.question_sets import followup_blocks
from blocks.surveys import to_dicts
from bot.core.runtime import Runtime
from bot.core.slack import error_code, find_by_metadata, outcome_unknown
from bot.core.slack_errors import SlackError
from bot.domain.cards import SurveyCard
from bot.domain.exit_survey import (
    EXIT_KIND,
    ExitNotice,
    ExitReason,
    clean_comment,
    parse_reasons,
    themes_for,
)
from bot.domain.outcomes import TapOutcome
from bot.domain.vocabulary import InvitationStatus
from bot.services import insights, question_sets
from storage import invitations
from storage import milestones as store
from storage.models import Account, Contact, ExitAnswer, Invitation

log = logging.getLogger(__name__)
S = InvitationStatus
NOTICE_LEASE = timedelta(minutes=2)  # a copy held this long by a process that died is retried
HISTORY_SLACK = timedelta(hours=1)  # look a little before the answer: clocks drift


class _OutcomeUnknown(Exception):
    """Slack answered a 5xx or nothing: the post may or may not be there."""


@dataclass(frozen=True)
class ExitResult:
    """What became of an exit answer; `card` and `invitation` are set when recorded."""

    outcome: TapOutcome
    card: SurveyCard | None = None
    invitation: Invitation | None = None
    reasons: tuple[ExitReason, ...] = ()
    comment: str | None = None
    answer_id: int | None = None


async def open_card(
    rt: Runtime, *, invitation_id: int, user_id: str
) -> tuple[TapOutcome, SurveyCard | None]:
    """The card for the modal, when this person may still answer this exit survey."""
    async with rt.db.session() as session:
        found = await invitations.get_with_contact(session=session, invitation_id=invitation_id)
    if found is None or found[0].kind != EXIT_KIND:
        return TapOutcome.UNKNOWN, None
    invitation, contact = found
    refusal = _refusal(invitation, contact, user_id)
    if refusal is not None:
        return refusal, None
    return TapOutcome.RECORDED, _card(invitation, contact)


async def record_answer(
    rt: Runtime,
    *,
    invitation_id: int,
    user_id: str,
    chosen: list[str],
    comment: str | None,
    now: datetime,
) -> ExitResult:
    """Record the reasons and comment once; a second submission changes nothing."""
    reasons, text = parse_reasons(chosen), clean_comment(comment)
    async with rt.db.transaction() as session:
        found = await invitations.get_with_contact(session=session, invitation_id=invitation_id)
        if found is None or found[0].kind != EXIT_KIND:
            return ExitResult(TapOutcome.UNKNOWN)
        invitation, contact = found
        refusal = _refusal(invitation, contact, user_id)
        if refusal is not None:
            return ExitResult(refusal)
        answered = await invitations.transition(
            session=session,
            invitation_id=invitation_id,
            from_statuses=invitations.OPEN,
            values={"status": S.ANSWERED, "answered_at": now, "lease_until": None},
        )
        if not answered:
            return ExitResult(TapOutcome.ANSWERED)
        answer_id = await _store(session, invitation, contact, reasons, text, now)
    chosen_names = [reason.value for reason in reasons]
    log.info(
        "exit answer recorded", extra={"invitation_id": invitation_id, "reasons": chosen_names}
    )
    card = _card(invitation, contact)
    return ExitResult(TapOutcome.RECORDED, card, invitation, reasons, text, answer_id)


async def _store(
    session: AsyncSession,
    invitation: Invitation,
    contact: Contact,
    reasons: tuple[ExitReason, ...],
    comment: str | None,
    now: datetime,
) -> int:
    account = await session.get(Account, contact.account_id)
    assert account is not None and account.id is not None and contact.id is not None
    insight_id = await insights.record_exit_answer(
        session,
        account_id=account.id,
        contact_id=contact.id,
        chosen=themes_for(reasons),
        reasons=", ".join(reason_label(None, reason) for reason in reasons),
        comment=comment,
        now=now,
    )
    answer = await store.add_exit_answer(
        session=session,
        answer=ExitAnswer(
            invitation_id=invitation.id or 0,
            contact_id=contact.id,
            account_id=account.id,
            reasons=[reason.value for reason in reasons],
            comment=comment,
            insight_id=insight_id,
            answered_at=now,
        ),
    )
    assert answer is not None and answer.id is not None  # the transition above made it ours
    return answer.id


async def answered_message(rt: Runtime, invitation: Invitation, locale: str | None) -> list[dict]:
    """The exit DM once answered, with the question set's follow-ups under the answer (an
    `exit` set in SURVEYS_FILE; bot/services/question_sets.py), as asked and as answered."""
    async with rt.db.session() as session:
        answer = await store.exit_answer_of(session=session, invitation_id=invitation.id or 0)
    reasons = parse_reasons(answer.reasons) if answer else ()
    card = SurveyCard(invitation.id or 0, invitation.kind, invitation.trigger, locale)
    blocks = to_dicts(answered_blocks(card, reasons, answer.comment if answer else None))
    shown = await question_sets.card(rt, invitation, locale, rt.now())
    extra = followup_blocks(shown)
    return blocks[:2] + extra + blocks[2:] if extra else blocks


async def notify_csm(rt: Runtime, answer_id: int, now: datetime) -> int:
    """Pass one answer on at once (after the person submits); 1 when posted."""
    return await _notify(rt, now, answer_ids=[answer_id])


async def notify_pending(rt: Runtime, now: datetime) -> int:
    """Scheduler job: answers whose CSM copy did not go out (Slack was down, a crash)."""
    return await _notify(rt, now, answer_ids=None)


async def _notify(rt: Runtime, now: datetime, *, answer_ids: list[int] | None) -> int:
    """Post the claimed answers' copies, each once: one whose earlier claim ran out is
    looked for in Slack first (by its metadata), as the process may have died after posting."""
    async with rt.db.transaction() as session:
        claimed = await store.claim_exit_notices(
            session=session, now=now, lease=NOTICE_LEASE, answer_ids=answer_ids
        )
        notices = [
            (notice, retried)
            for answer, retried in claimed
            if (notice := await _notice(session, answer)) is not None
        ]
    posted = 0
    for notice, retried in notices:
        try:
            error = await _post_notice(rt, notice, look_first=retried)
        except (_OutcomeUnknown, TimeoutError, aiohttp.ClientError):
            # Slack may have it: the lease runs out and a later pass looks before posting
            log.warning("exit answer outcome unknown", extra={"exit_answer_id": notice.answer_id})
            continue
        async with rt.db.transaction() as session:
            await store.finish_exit_notice(
                session=session, answer_id=notice.answer_id, now=rt.now(), error=error
            )
        posted += error is None
    return posted


async def _notice(session: AsyncSession, answer: ExitAnswer) -> ExitNotice | None:
    parts = await store.notice_parts(session=session, answer=answer)
    if parts is None or answer.id is None:
        return None
    contact, account = parts
    return ExitNotice(
        answer_id=answer.id,
        contact=contact.name or contact.email,
        account=account.name,
        reasons=parse_reasons(answer.reasons),
        comment=answer.comment,
        csm_user_id=account.csm_user_id,
        answered_at=answer.answered_at,
    )


async def _post_notice(rt: Runtime, notice: ExitNotice, *, look_first: bool) -> str | None:
    """DM the CSM (or post to #voc without one); None when it is in Slack, else the error.

    A CSM who cannot be DMed (left, deactivated) gets it in #voc instead.
    """
    targets = [c for c in (notice.csm_user_id, rt.settings.voc_channel) if c]
    if not targets:
        return "no CSM and no VOC_CHANNEL"
    error = "no target"
    for channel in dict.fromkeys(targets):
        try:
            if look_first and await _posted_before(rt, notice, channel):
                return None
            await rt.slack.chat_postMessage(
                channel=channel,
                text=notice_text(notice),
                blocks=to_dicts(notice_blocks(notice)),
                metadata={
                    "event_type": EXIT_ANSWER_METADATA_EVENT,
                    "event_payload": {"exit_answer_id": notice.answer_id},
                },
                unfurl_links=False,
            )
            return None
        except SlackError as exc:
            error = error_code(exc)
            if outcome_unknown(error):
                raise _OutcomeUnknown(error) from exc
            log.warning(
                "exit answer refused", extra={"exit_answer_id": notice.answer_id, "error": error}
            )
    log.error("exit answer not passed on", extra={"exit_answer_id": notice.answer_id})
    return error


async def _posted_before(rt: Runtime, notice: ExitNotice, channel: str) -> bool:
    """Whether the copy is already in `channel` (a user id means their DM with the bot)."""
    if channel.startswith(("U", "W")):
        opened = await rt.slack.conversations_open(users=channel)
        channel = opened["channel"]["id"]
    found = await find_by_metadata(
        rt.slack,
        channel=channel,
        since=notice.answered_at - HISTORY_SLACK,
        event_type=EXIT_ANSWER_METADATA_EVENT,
        key="exit_answer_id",
        value=notice.answer_id,
    )
    return found is not None


def _refusal(invitation: Invitation, contact: Contact, user_id: str) -> TapOutcome | None:
    if contact.slack_user_id != user_id:
        return TapOutcome.NOT_YOURS
    if invitation.status == S.ANSWERED:
        return TapOutcome.ANSWERED
    if invitation.status not in invitations.OPEN:
        return TapOutcome.CLOSED
    return None


def _card(invitation: Invitation, contact: Contact) -> SurveyCard:
    return SurveyCard(invitation.id or 0, invitation.kind, invitation.trigger, contact.locale)
