"""THEME_OWNERS: each new themed comment and request reaches its themes' owners, once.

With INSIGHTS_CHANNEL set, the owners are mentioned in the thread of the insight's post
there (bot/services/sharing.py posts it once); without it, each owning user gets a DM (a
user group cannot be DMed: it needs the channel, and is logged as skipped). The insight's
`owner_routes` row is claimed before anything is sent, so a retried request or a twin
process never routes it twice.
"""

from __future__ import annotations

import logging
from datetime import datetime

from blocks.triage import owner_dm_text, owner_thread_text
from bot.core.runtime import Runtime
from bot.core.slack_errors import SlackError
from bot.domain.triage import owners_of
from storage import feedback, owner_routes
from storage.models import Account, Insight

log = logging.getLogger(__name__)


async def route(
    rt: Runtime, *, insight_id: int, now: datetime, thread_ts: str | None = None
) -> bool:
    """Tell the owners of the insight's themes, in the post's thread or by DM; False when
    it has no owned theme, was routed already, or (with a channel) has no post to reply to."""
    channel = rt.settings.insights_channel
    if not rt.settings.theme_owners or (channel and not thread_ts):
        return False
    async with rt.db.transaction() as session:
        insight = await session.get(Insight, insight_id)
        if insight is None:
            return False
        themes = sorted(
            tag.theme for tag in await feedback.themes_of(session=session, insight_id=insight_id)
        )
        owners = owners_of(themes, rt.settings.theme_owners)
        if not owners or not await owner_routes.claim(
            session=session, insight_id=insight_id, now=now
        ):
            return False
        account = await session.get(Account, insight.account_id)
        name = account.name if account else "?"
        owned = [theme for theme in themes if theme in rt.settings.theme_owners]
        is_request = insight.feature_request_id is not None
        text = insight.text
    error = None
    try:
        if channel and thread_ts:
            await rt.slack.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts,
                text=owner_thread_text(owners, owned, is_request),
            )
        else:
            for owner in owners:
                if owner.startswith("S"):
                    log.warning("theme owner is a user group: set INSIGHTS_CHANNEL to reach it")
                    continue
                await rt.slack.chat_postMessage(
                    channel=owner,
                    text=owner_dm_text(owned, name, text, is_request),
                    unfurl_links=False,
                )
    except SlackError as exc:
        error = str(exc.code or "slack_error")
        log.warning("insight not routed", extra={"insight_id": insight_id, "error": error})
    async with rt.db.transaction() as session:
        await owner_routes.finish(session=session, insight_id=insight_id, now=now, error=error)
    return error is None
