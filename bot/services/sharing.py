"""INSIGHTS_CHANNEL: the team sees feedback as it arrives, each insight posted once.

Every `/voc` note is shared, and every survey comment the rules find a theme in. The
insight's `shared_at` is claimed by a conditional UPDATE before the post, so a retried
request or a twin process never posts it twice.
"""

from __future__ import annotations

import logging
from datetime import datetime

from blocks.reading import shared_insight_text
from bot.core.runtime import Runtime
from bot.core.slack_errors import SlackError
from bot.domain.vocabulary import InsightSource
from bot.services import owners
from storage import feedback, responses
from storage.models import Account, Insight

log = logging.getLogger(__name__)


async def share_insight(rt: Runtime, *, insight_id: int, now: datetime) -> bool:
    """Post the insight to INSIGHTS_CHANNEL once; False when unset, untagged or done already."""
    channel = rt.settings.insights_channel
    if not channel:
        await owners.route(rt, insight_id=insight_id, now=now)  # THEME_OWNERS, by DM
        return False
    async with rt.db.transaction() as session:
        insight = await session.get(Insight, insight_id)
        if insight is None:
            return False
        found = await feedback.themes_of(session=session, insight_id=insight_id)
        tags = [tag.theme for tag in found]
        if insight.source == InsightSource.SURVEY and not tags:
            return False
        if not await feedback.claim_share(session=session, insight_id=insight_id, now=now):
            return False
        account = await session.get(Account, insight.account_id)
        text = shared_insight_text(
            account=account.name if account else "?",
            source=insight.source,
            text=insight.text,
            themes=sorted(tags),
        )
    try:
        posted = await rt.slack.chat_postMessage(channel=channel, text=text, unfurl_links=False)
    except SlackError as exc:
        code = str(exc.code or "slack_error")
        log.warning("insight not shared", extra={"insight_id": insight_id, "error": code})
        return False
    log.info("insight shared", extra={"insight_id": insight_id})
    await owners.route(rt, insight_id=insight_id, now=now, thread_ts=str(posted["ts"]))
    return True


async def share_comment(rt: Runtime, *, invitation_id: int, now: datetime) -> bool:
    """Share the insight a survey comment became, if it has a theme."""
    if not rt.settings.insights_channel and not rt.settings.theme_owners:
        return False
    async with rt.db.session() as session:
        response = await responses.get_for_invitation(session=session, invitation_id=invitation_id)
        insight = (
            await feedback.insight_for_response(session=session, response_id=response.id or 0)
            if response is not None
            else None
        )
    if insight is None or insight.id is None:
        return False
    return await share_insight(rt, insight_id=insight.id, now=now)
