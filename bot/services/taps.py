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
from bot.domain.scales import category, scale_for
from bot.services import cases, followups, webhooks
from bot.services.insights import record_comment
from bot.services.sharing import share_comment
from storage import invitations, responses
from storage.models import Contact, Invitation, InvitationStatus, SkipReason

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
    Taps arriving together share one transaction (`Runtime.commits`, storage/group_commit.py);
    each still reads, decides and writes its own rows, and returns only once committed.
    `user_id` None means the survey page's link token already proved who answers.
    """
    tap = _Tap(rt, invitation_id, score, user_id, channel, message_ts, now)
    try:
        result = await rt.commits.run(tap.record)
    except IntegrityError:
        return TapResult(TapOutcome.ANSWERED)
    if result.outcome is TapOutcome.RECORDED:
        log.info("response recorded", extra={"invitation_id": invitation_id, "score": score})
    return result


@dataclass
class _Tap:
    """One tap, as a unit of work for a shared transaction (it touches only the session)."""

    rt: Runtime
    invitation_id: int
    score: int
    user_id: str | None
    channel: str | None
    message_ts: str | None
    now: datetime

    async def record(self, session: AsyncSession) -> TapResult:
        invitation_id, score, now = self.invitation_id, self.score, self.now
        target = await invitations.tap_target(session=session, invitation_id=invitation_id)
        if target is None:
            return TapResult(TapOutcome.UNKNOWN)
        refusal = _refusal(self.rt, target, self.user_id, score, now)
        if refusal:
            return TapResult(refusal)
        values: dict[str, object] = {"status": S.ANSWERED, "answered_at": now}
        values |= {"lease_until": None, "dm_channel": target.dm_channel or self.channel}
        values |= {"message_ts": target.message_ts or self.message_ts}
        won = await invitations.transition(
            session=session,
            invitation_id=invitation_id,
            from_statuses=ANSWERABLE,
            values=values,
        )
        if not won:  # a double tap, a retry, another process, or expiry came first
            return TapResult(await _lost_race(session, invitation_id))
        response_id = await self._respond(session, target)
        asked_next = await followups.ask_next(
            session, invitation_id=invitation_id, channel=target.channel, values=values, now=now
        )
        case_id = await cases.open_case_if_unhappy(
            session,
            rt=self.rt,
            response_id=response_id,
            invitation_id=invitation_id,
            contact_id=target.contact_id,
            account_id=target.account_id,
            kind=target.kind,
            score=score,
            now=now,
        )
        invitation = Invitation(
            id=invitation_id,
            contact_id=target.contact_id,
            kind=target.kind,
            trigger=target.trigger,
            status=S.ANSWERED,
            due_at=now,
            dm_channel=values["dm_channel"],
            message_ts=values["message_ts"],
            channel=target.channel,
            answered_at=now,
            question=target.question,
        )
        card = SurveyCard(
            invitation_id,
            target.kind,
            target.trigger,
            target.locale,
            score,
            question=target.question,
        )
        chained = asked_next or target.follows_invitation_id is not None
        return TapResult(TapOutcome.RECORDED, card, response_id, invitation, case_id, chained)

    async def _respond(self, session: AsyncSession, target: Any) -> int:
        """The response row and its webhook, in the tap's transaction."""
        kind, score, now = target.kind, self.score, self.now
        response_id = await responses.record_response(
            session=session,
            invitation_id=self.invitation_id,
            contact_id=target.contact_id,
            account_id=target.account_id,
            kind=kind,
            score=score,
            category=category(kind, score),
            now=now,
        )
        await webhooks.response_created(
            session,
            settings=self.rt.settings,
            response_id=response_id,
            invitation_id=self.invitation_id,
            kind=kind,
            score=score,
            category=category(kind, score),
            now=now,
        )
        return response_id


async def _lost_race(session: AsyncSession, invitation_id: int) -> TapOutcome:
    target = await invitations.tap_target(session=session, invitation_id=invitation_id)
    return TapOutcome.ANSWERED if target and target.status == S.ANSWERED else TapOutcome.CLOSED


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
    if text is not None:
        await share_comment(rt, invitation_id=invitation_id, now=now)
    updated = replace(card, comment=text)
    return outcome, updated, invitation


async def opt_out(
    rt: Runtime, *, invitation_id: int, user_id: str | None, now: datetime
) -> tuple[TapOutcome, Invitation | None, Contact | None]:
    """ "Don't ask me again": the contact is never surveyed again; open surveys close.

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
        await invitations.transition(
            session=session,
            invitation_id=invitation_id,
            from_statuses=ANSWERABLE,
            values={"status": S.EXPIRED, "closed_at": now},
        )
    contact.opted_out = True
    log.info("contact opted out", extra={"contact_id": contact.id})
    return TapOutcome.RECORDED, invitation, contact
