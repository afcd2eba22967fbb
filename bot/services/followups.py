"""Follow-up questions in the same survey message (the rules: bot/domain/questions.py).

A closed ticket's CES waits (`waiting`, linked by `follows_invitation_id`) until its CSAT
is answered; the tap that records the CSAT also asks the CES, in the same transaction, in
the same DM (`ask_next`), so the DM is posted once and then updated in place. A follow-up
whose first question closes unanswered is never asked: it is skipped as "first question
unanswered" (`close_unasked`). An NPS detractor's "what disappointed you most?" is in
bot/services/theme_choice.py.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.runtime import Runtime
from bot.domain.cards import SurveyCard
from bot.domain.questions import IN_ONE_MESSAGE, MAX_QUESTIONS, ChainCard
from bot.domain.vocabulary import DeliveryChannel, InvitationStatus, SkipReason
from storage import invitations, responses
from storage.models import Invitation

log = logging.getLogger(__name__)
S = InvitationStatus
SHOWN = (S.SENT, S.REMINDED, S.ANSWERED, S.EXPIRED)  # a question the message has asked


async def ask_next(
    session: AsyncSession,
    *,
    invitation_id: int,
    trigger: str,
    channel: str | None,
    values: dict[str, object],
    now: datetime,
) -> bool:
    """Ask the question waiting on the one just answered; True when there was one.

    Only a trigger that asks in one message has questions waiting (bot/domain/questions.py):
    a relationship survey's tap costs no statement here.

    In a DM it is asked in place: it takes the answered question's message (`values` holds
    the tap's `dm_channel` and `message_ts`). Asked anywhere else (a shared channel), it is
    sent there on its own, now.
    """
    if trigger not in IN_ONE_MESSAGE:
        return False
    if channel in (None, DeliveryChannel.SLACK) and values.get("message_ts"):
        update: dict[str, object] = {"status": S.SENT, "sent_at": now, "sending_since": now}
        update |= {"dm_channel": values["dm_channel"], "message_ts": values["message_ts"]}
        update |= {"channel": DeliveryChannel.SLACK}
    else:
        update = {"status": S.SCHEDULED, "due_at": now, "channel": channel}
        update |= {"dm_channel": values.get("dm_channel")}  # the shared channel it goes to
    asked = await invitations.open_follow_up(
        session=session, parent_id=invitation_id, values=update
    )
    return asked is not None


async def close_unasked(rt: Runtime, now: datetime) -> int:
    """Skip the follow-ups whose first question expired, failed or was skipped."""
    async with rt.db.transaction() as session:
        return await invitations.close_unasked_follow_ups(
            session=session, reason=SkipReason.FIRST_UNANSWERED, now=now
        )


async def chain_card(
    rt: Runtime, invitation: Invitation, *, closed: str | None = None
) -> ChainCard | None:
    """The message `invitation` is in, when it asks several questions; else None.

    A survey whose trigger never asks follow-ups is answered at once, without a query.
    """
    if invitation.trigger not in IN_ONE_MESSAGE or invitation.id is None:
        return None
    invitation_id = invitation.id
    async with rt.db.session() as session:
        rows = await invitations.chain(
            session=session, invitation_id=invitation_id, longest=MAX_QUESTIONS
        )
        shown = [(i, c) for i, c in rows if i.status in SHOWN]
        if len(rows) < 2 or not shown:
            return None
        steps = [
            await _step(session, invitation, contact.locale, comment=n == 0)
            for n, (invitation, contact) in enumerate(shown)
        ]
    return ChainCard(tuple(steps), closed)


async def _step(
    session: AsyncSession, invitation: Invitation, locale: str | None, *, comment: bool
) -> SurveyCard:
    """One question as the message shows it; only the first carries the comment."""
    assert invitation.id is not None
    response = await responses.get_for_invitation(session=session, invitation_id=invitation.id)
    return SurveyCard(
        invitation.id,
        invitation.kind,
        invitation.trigger,
        locale,
        response.score if response else None,
        response.comment if response and comment else None,
        question=invitation.question,
    )
