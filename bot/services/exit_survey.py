"""The exit survey's answer: recorded once, turned into themes, and passed to the CSM.

A churned customer's DM (bot/services/milestones.py sends it) opens a modal of reasons and
a comment. The answer is recorded in one transaction: the invitation becomes `answered`,
the reasons and comment are kept (storage/milestones.py) and become an insight tagged with
the reasons' themes (bot/domain/exit_survey.py) plus the comment's, so the digest counts
them. Then the account's CSM gets a DM with the answer, or #voc a card when the account has
no CSM; the notice is taken once (`csm_notified_at`) before it is posted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from slack_sdk.errors import SlackApiError
from sqlalchemy.ext.asyncio import AsyncSession

from blocks.exit_survey import notice_blocks, notice_text, reason_label
from blocks.ids import EXIT_ANSWER_METADATA_EVENT
from blocks.surveys import to_dicts
from bot.core.runtime import Runtime
from bot.core.slack import error_code
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
from bot.services import insights
from storage import invitations
from storage import milestones as store
from storage.models import Account, Contact, ExitAnswer, Invitation, InvitationStatus

log = logging.getLogger(__name__)
S = InvitationStatus


@dataclass(frozen=True)
class ExitResult:
    """What became of an exit answer; `card` and `invitation` are set when recorded."""

    outcome: TapOutcome
    card: SurveyCard | None = None
    invitation: Invitation | None = None
    reasons: tuple[ExitReason, ...] = ()
    comment: str | None = None
    notice: ExitNotice | None = None


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
        notice = await _store(session, invitation, contact, reasons, text, now)
    chosen_names = [reason.value for reason in reasons]
    log.info(
        "exit answer recorded", extra={"invitation_id": invitation_id, "reasons": chosen_names}
    )
    card = _card(invitation, contact)
    return ExitResult(TapOutcome.RECORDED, card, invitation, reasons, text, notice)


async def _store(
    session: AsyncSession,
    invitation: Invitation,
    contact: Contact,
    reasons: tuple[ExitReason, ...],
    comment: str | None,
    now: datetime,
) -> ExitNotice:
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
    return ExitNotice(
        answer_id=answer.id,
        contact=contact.name or contact.email,
        account=account.name,
        reasons=reasons,
        comment=comment,
        csm_user_id=account.csm_user_id,
    )


async def notify_csm(rt: Runtime, notice: ExitNotice, now: datetime) -> bool:
    """DM the account's CSM the answer (or post it to #voc without a CSM), once; True if posted.

    The notice is marked taken before the post, so two processes never both post it.
    """
    channel = notice.csm_user_id or rt.settings.voc_channel
    if not channel:
        log.warning("exit answer not passed on: no CSM and no VOC_CHANNEL")
        return False
    async with rt.db.transaction() as session:
        if not await store.mark_csm_notified(session=session, answer_id=notice.answer_id, now=now):
            return False
    try:
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
    except SlackApiError as exc:
        log.error(
            "exit answer not passed on",
            extra={"exit_answer_id": notice.answer_id, "error": error_code(exc)},
        )
        return False
    return True


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
