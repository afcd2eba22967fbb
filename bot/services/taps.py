"""What a respondent does with a survey: tap a score, say why, opt out."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from blocks.surveys import COMMENT_MAX
from bot.core.runtime import Runtime
from bot.domain.cards import SurveyCard
from bot.domain.outcomes import TapOutcome
from bot.domain.records import Answer, NewResponse
from bot.domain.scales import category, scale_for
from bot.domain.vocabulary import InvitationStatus, SkipReason
from bot.services import cases, crm_push, followups, survey_messages, webhooks, zendesk_push
from bot.services.insights import record_comment
from bot.services.sharing import share_comment
from storage import invitations, responses
from storage.csat import context_labels
from storage.models import Contact, Invitation

log = logging.getLogger(__name__)
S = InvitationStatus
ANSWERABLE = (S.SENDING, S.SENT, S.REMINDED)


@dataclass
class TapResult:
    outcome: TapOutcome
    card: SurveyCard | None = None
    response_id: int | None = None
    invitation: Invitation | None = None
    case_id: int | None = None
    chained: bool = False  # one of several questions in its message (bot/domain/questions.py)


async def record_tap(
    rt: Runtime,
    *,
    invitation_id: int,
    score: int,
    user_id: str | None,
    channel: str | None,
    message_ts: str | None,
    now: datetime,
) -> TapResult:
    """Record the first tap on a survey; any later or foreign tap records nothing.

    The conditional UPDATE decides the winner inside the database, and the unique key on
    responses backs it up, so double taps, Slack retries and other processes all lose.
    Taps arriving together share one transaction and its statements (`Runtime.commits`,
    storage/group_commit.py, and `_record_taps`); each is still judged on its own rows, and
    returns only once committed. `user_id` None means the survey page's link token already
    proved who answers.
    """
    tap = _Tap(rt, invitation_id, score, user_id, channel, message_ts, now)
    try:
        result = await rt.commits.run_many(tap, _record_taps)
    except IntegrityError:
        return TapResult(TapOutcome.ANSWERED)
    if result.outcome is TapOutcome.RECORDED:
        log.info("response recorded", extra={"invitation_id": invitation_id, "score": score})
    return result


@dataclass
class _Tap:
    """One tap, as an item of a shared transaction (`_record_taps` touches only the session)."""

    rt: Runtime
    invitation_id: int
    score: int
    user_id: str | None
    channel: str | None
    message_ts: str | None
    now: datetime

    def answer(self, target: Any) -> Answer:
        """The invitation's answered state; the message's place as stored, else as tapped."""
        return Answer(
            self.invitation_id,
            self.now,
            target.dm_channel or self.channel,
            target.message_ts or self.message_ts,
        )


async def _record_taps(session: AsyncSession, taps: list[_Tap]) -> list[TapResult]:
    """Record a batch of taps with a few statements for all, each tap judged on its own.

    One query reads every target; the rules (`_refusal`) run per tap; the first acceptable
    tap on an invitation is its candidate, and one conditional UPDATE marks every candidate
    answered where the row is still open, so the database still decides each winner. A
    later tap on the same invitation in the batch is a double tap: "already answered" when
    the first won. The winners' responses go in one INSERT; cases and webhooks follow per row.
    """
    targets = await invitations.tap_targets(session=session, ids=[t.invitation_id for t in taps])
    candidates: dict[int, _Tap] = {}
    refused: dict[int, TapOutcome] = {}  # by id() of the tap
    for tap in taps:
        target = targets.get(tap.invitation_id)
        outcome = (
            TapOutcome.UNKNOWN
            if target is None
            else _refusal(tap.rt, target, tap.user_id, tap.score, tap.now)
        )
        if outcome is not None:
            refused[id(tap)] = outcome
        else:
            candidates.setdefault(tap.invitation_id, tap)
    won = await invitations.answer_many(
        session=session,
        answers=[tap.answer(targets[key]) for key, tap in candidates.items()],
        from_statuses=ANSWERABLE,
    )
    winners = [(tap, targets[key]) for key, tap in candidates.items() if key in won]
    recorded = await _respond(session, winners)
    lost = await _lost_races(session, set(candidates) - won)
    results = []
    for tap in taps:
        key = tap.invitation_id
        if id(tap) in refused:
            results.append(TapResult(refused[id(tap)]))
        elif key in lost:  # a retry, another process or expiry came first
            results.append(TapResult(lost[key]))
        elif candidates[key] is tap:
            results.append(recorded[key])
        else:  # a double tap within the batch: the first one won
            results.append(TapResult(TapOutcome.ANSWERED))
    return results


async def _respond(session: AsyncSession, winners: list[tuple[_Tap, Any]]) -> dict[int, TapResult]:
    """The winners' responses in one INSERT, then each one's case and webhooks; by id."""
    rows = [
        NewResponse(
            tap.invitation_id,
            target.contact_id,
            target.account_id,
            target.kind,
            tap.score,
            category(target.kind, tap.score),
            tap.now,
            **context_labels(target.context),
        )
        for tap, target in winners
    ]
    response_ids = await responses.record_responses(session=session, rows=rows)
    recorded = {}
    for tap, target in winners:
        response_id = response_ids[tap.invitation_id]
        recorded[tap.invitation_id] = await _follow_up(session, tap, target, response_id)
    return recorded


async def _follow_up(session: AsyncSession, tap: _Tap, target: Any, response_id: int) -> TapResult:
    """A recorded tap's webhook, case (for an unhappy score) and next question, in its
    transaction: the next question (bot/services/followups.py) takes over the DM."""
    kind, score, now = target.kind, tap.score, tap.now
    await webhooks.response_created(
        session,
        settings=tap.rt.settings,
        response_id=response_id,
        invitation_id=tap.invitation_id,
        kind=kind,
        score=score,
        category=category(kind, score),
        now=now,
    )
    await crm_push.answered(
        session,
        settings=tap.rt.settings,
        response_id=response_id,
        account_id=target.account_id,
        now=now,
    )
    await zendesk_push.answered(
        session,
        settings=tap.rt.settings,
        invitation_id=tap.invitation_id,
        response_id=response_id,
        kind=kind,
        now=now,
    )
    case_id = await cases.open_case_if_unhappy(
        session,
        rt=tap.rt,
        response_id=response_id,
        invitation_id=tap.invitation_id,
        contact_id=target.contact_id,
        account_id=target.account_id,
        kind=kind,
        score=score,
        now=now,
    )
    answer = tap.answer(target)
    asked_next = await followups.ask_next(
        session,
        invitation_id=tap.invitation_id,
        trigger=target.trigger,
        channel=target.channel,
        values={"dm_channel": answer.dm_channel, "message_ts": answer.message_ts},
        now=now,
    )
    invitation = Invitation(
        id=tap.invitation_id,
        contact_id=target.contact_id,
        kind=kind,
        trigger=target.trigger,
        status=S.ANSWERED,
        due_at=now,
        dm_channel=answer.dm_channel,
        message_ts=answer.message_ts,
        channel=target.channel,
        answered_at=now,
        question=target.question,
    )
    card = SurveyCard(
        tap.invitation_id, kind, target.trigger, target.locale, score, question=target.question
    )
    chained = asked_next or target.follows_invitation_id is not None
    return TapResult(TapOutcome.RECORDED, card, response_id, invitation, case_id, chained)


async def _lost_races(session: AsyncSession, ids: set[int]) -> dict[int, TapOutcome]:
    """Why each invitation's candidate lost: answered first by someone else, or closed."""
    now_rows = await invitations.tap_targets(session=session, ids=ids)
    answered = {key for key, row in now_rows.items() if row.status == S.ANSWERED}
    return {key: TapOutcome.ANSWERED if key in answered else TapOutcome.CLOSED for key in ids}


def _refusal(
    rt: Runtime, target: Any, user_id: str | None, score: int, now: datetime
) -> TapOutcome | None:
    if user_id is not None and target.slack_user_id != user_id:
        return TapOutcome.NOT_YOURS
    if target.status == S.ANSWERED:
        return TapOutcome.ANSWERED
    if target.status not in ANSWERABLE or not scale_for(target.kind).contains(score):
        return TapOutcome.CLOSED
    if _expired(rt, target, now):
        return TapOutcome.CLOSED  # past expiry even if the expiry job has not run yet
    return None


def _expired(rt: Runtime, target: Any, now: datetime) -> bool:
    """Whether the survey is past EXPIRE_AFTER from when it was sent."""
    sent = target.sent_at or target.sending_since
    return bool(sent and now - sent >= rt.settings.expire_after)


async def answered_card(
    rt: Runtime, *, invitation_id: int, user_id: str | None, now: datetime | None = None
) -> tuple[TapOutcome, SurveyCard | None]:
    """The respondent's answered survey (for "Tell us why"), or why they cannot comment.

    `user_id` None: the survey page's link token proved who it is. With `now`, a survey
    past its expiry (EXPIRE_AFTER from sending) is closed to comments.
    """
    async with rt.db.session() as session:
        found = await invitations.get_with_contact(session=session, invitation_id=invitation_id)
        response = await responses.get_for_invitation(session=session, invitation_id=invitation_id)
    if found is None:
        return TapOutcome.UNKNOWN, None
    invitation, contact = found
    if user_id is not None and contact.slack_user_id != user_id:
        return TapOutcome.NOT_YOURS, None
    if response is None or (now is not None and _expired(rt, invitation, now)):
        return TapOutcome.CLOSED, None
    card = SurveyCard(
        invitation_id,
        invitation.kind,
        invitation.trigger,
        contact.locale,
        response.score,
        response.comment,
        question=invitation.question,
        theme=response.chosen_theme,
    )
    return TapOutcome.RECORDED, card


async def save_comment(
    rt: Runtime, *, invitation_id: int, user_id: str | None, comment: str | None, now: datetime
) -> tuple[TapOutcome, SurveyCard | None, Invitation | None]:
    """Store the optional "why" exactly as typed; blank text is no comment."""
    outcome, card = await answered_card(rt, invitation_id=invitation_id, user_id=user_id, now=now)
    if outcome is not TapOutcome.RECORDED or card is None:
        return outcome, None, None
    text = comment if comment and comment.strip() else None
    if text is not None and len(text) > COMMENT_MAX:  # the modal stops there; a forged one too
        return TapOutcome.CLOSED, None, None
    async with rt.db.transaction() as session:
        await responses.set_comment(
            session=session, invitation_id=invitation_id, comment=text, now=now
        )
        await record_comment(session, invitation_id=invitation_id, comment=text, now=now)
        invitation = await session.get(Invitation, invitation_id)
        await crm_push.comment_saved(
            session, settings=rt.settings, invitation_id=invitation_id, now=now
        )
        await zendesk_push.comment_saved(
            session, settings=rt.settings, invitation_id=invitation_id, now=now
        )
    if text is not None:
        await share_comment(rt, invitation_id=invitation_id, now=now)
    updated = replace(card, comment=text)
    return outcome, updated, invitation


async def opt_out(
    rt: Runtime, *, invitation_id: int, user_id: str | None, now: datetime
) -> tuple[TapOutcome, Invitation | None, Contact | None]:
    """ "Don't ask me again": the contact is never surveyed again; every open survey closes
    and the others in Slack lose their buttons (the tapped one is redrawn by the caller).

    `user_id` None: an email's unsubscribe link token proved who it is.
    """
    async with rt.db.session() as session:
        found = await invitations.get_with_contact(session=session, invitation_id=invitation_id)
    if found is None:
        return TapOutcome.UNKNOWN, None, None
    invitation, contact = found
    if user_id is not None and contact.slack_user_id != user_id:
        return TapOutcome.NOT_YOURS, invitation, contact
    async with rt.db.transaction() as session:
        stored = await session.get(Contact, contact.id)
        assert stored is not None
        stored.opted_out, stored.opted_out_at, stored.updated_at = True, now, now
        await invitations.skip_pending_for_contact(
            session=session, contact_id=stored.id or 0, reason=SkipReason.OPTED_OUT, now=now
        )
        closed = await invitations.close_open_for_contact(
            session=session, contact_id=stored.id or 0, now=now
        )
    contact.opted_out = True
    log.info("contact opted out", extra={"contact_id": contact.id})
    others = [row for row in closed if row.id != invitation_id]  # the tapped one: the caller
    await survey_messages.take_buttons_off(rt, others, locale=contact.locale, reason="opted_out")
    return TapOutcome.RECORDED, invitation, contact
