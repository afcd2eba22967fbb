"""Promoters: thanked, offered a review, a reference or a testimonial; a yes reaches the CSM."""

from __future__ import annotations

import logging
from datetime import datetime

from blocks.advocacy import OFFERS, answered_message, csm_advocacy_text
from bot.core.runtime import Runtime
from bot.core.slack import error_code
from bot.core.slack_errors import SlackError
from bot.domain.cards import SurveyCard
from bot.domain.outcomes import TapOutcome
from bot.domain.scales import is_promoter
from bot.domain.vocabulary import DeliveryChannel
from bot.services import question_sets, shared_surveys
from bot.services.survey_messages import update_survey_message
from storage import cases, invitations, responses
from storage.models import Account, Contact

log = logging.getLogger(__name__)


async def offers_for(rt: Runtime, invitation_id: int) -> list[str]:
    async with rt.db.session() as session:
        response = await responses.get_for_invitation(session=session, invitation_id=invitation_id)
        if response is None or response.id is None:
            return []
        return await cases.advocacy_offers(session=session, response_id=response.id)


async def accept(
    rt: Runtime, *, invitation_id: int, user_id: str | None, offer: str, now: datetime
) -> TapOutcome:
    """Store a promoter's yes (once), tell the account's CSM, and thank them in the DM."""
    async with rt.db.session() as session:
        target = await invitations.tap_target(session=session, invitation_id=invitation_id)
        response = await responses.get_for_invitation(session=session, invitation_id=invitation_id)
    if target is None or response is None or offer not in OFFERS:
        return TapOutcome.UNKNOWN
    if user_id is not None and target.slack_user_id != user_id:  # None: a page link proved it
        return TapOutcome.NOT_YOURS
    if not is_promoter(target.kind, response.score):
        return TapOutcome.CLOSED
    async with rt.db.transaction() as session:
        new = await cases.record_advocacy(
            session=session,
            response_id=response.id or 0,
            contact_id=target.contact_id,
            offer=offer,
            now=now,
        )
        contact = await session.get(Contact, target.contact_id)
        account = await session.get(Account, target.account_id)
        offers = await cases.advocacy_offers(session=session, response_id=response.id or 0)
    if new and contact is not None and account is not None and account.csm_user_id:
        if await _tell_csm(rt, account.csm_user_id, contact, account, response.score, offer):
            async with rt.db.transaction() as session:
                await cases.mark_csm_told(
                    session=session, response_id=response.id or 0, offer=offer, now=rt.now()
                )
    card = SurveyCard(
        invitation_id,
        target.kind,
        target.trigger,
        target.locale,
        response.score,
        response.comment,
        question=target.question,
    )
    # asked in a shared channel: privately, to the Slack user who tapped (a page link has none)
    if target.channel == DeliveryChannel.SLACK_CHANNEL and user_id is not None:
        await shared_surveys.confirm_privately(
            rt, card, channel=target.dm_channel or "", user_id=user_id, offers=offers
        )
    blocks = answered_message(card, offers=offers, review_url=None)
    blocks = await question_sets.with_followups(rt, invitation_id, card.locale, blocks, now)
    await update_survey_message(rt, target, blocks, locale=card.locale)
    return TapOutcome.RECORDED


async def _tell_csm(
    rt: Runtime, csm: str, contact: Contact, account: Account, score: int, offer: str
) -> bool:
    text = csm_advocacy_text(
        contact_name=contact.name,
        contact_email=contact.email,
        account_name=account.name,
        score=score,
        offer=offer,
    )
    try:
        await rt.slack.chat_postMessage(channel=csm, text=text)
    except SlackError as exc:
        log.warning("CSM not told of advocacy", extra={"csm": csm, "error": error_code(exc)})
        return False
    return True
