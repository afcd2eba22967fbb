"""An NPS detractor's "what disappointed you most?", asked in the survey message after the tap.

The choice is kept on the response (once: a conditional UPDATE decides) and tags the
response's insight as chosen by the respondent (bot/services/insights.py), so the digest's
themes count it; the free comment is asked after it, as before, and skipping it is fine.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from bot.core.runtime import Runtime
from bot.domain.cards import SurveyCard
from bot.domain.outcomes import TapOutcome
from bot.domain.questions import asks_theme, theme_choice
from bot.services.insights import tag_chosen_theme
from bot.services.taps import answered_card
from storage import responses
from storage.models import Invitation

log = logging.getLogger(__name__)


async def choose_theme(
    rt: Runtime, *, invitation_id: int, user_id: str | None, value: str, now: datetime
) -> tuple[TapOutcome, SurveyCard | None, Invitation | None]:
    """Keep what a detractor chose as disappointing them most, once; tag their response.

    A second choice (a double tap, a retry, an old menu) records nothing and says the
    question was answered.
    """
    theme = theme_choice(value)
    outcome, card = await answered_card(rt, invitation_id=invitation_id, user_id=user_id, now=now)
    if outcome is not TapOutcome.RECORDED or card is None:
        return outcome, None, None
    if theme is None or not asks_theme(card.kind, card.score):
        return TapOutcome.CLOSED, None, None
    async with rt.db.transaction() as session:
        if not await responses.choose_theme(
            session=session, invitation_id=invitation_id, theme=theme
        ):
            return TapOutcome.ANSWERED, None, None
        response = await responses.get_for_invitation(session=session, invitation_id=invitation_id)
        assert response is not None
        await tag_chosen_theme(session, response=response, theme=theme, now=now)
        invitation = await session.get(Invitation, invitation_id)
    log.info("theme chosen", extra={"invitation_id": invitation_id, "theme": str(theme)})
    return (
        TapOutcome.RECORDED,
        replace(card, theme=theme),
        invitation,
    )
