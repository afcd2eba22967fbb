"""The App Home tab: built from the database and published for one person."""

from __future__ import annotations

import logging
from datetime import datetime

from blocks.home import HomeTab, home_view
from bot.core.runtime import Runtime
from bot.core.slack import error_code
from bot.core.slack_errors import SlackError
from bot.domain.errors import TryLater
from bot.domain.figures import Window
from bot.domain.records import CaseCounts
from bot.domain.roles import Role, reads_accounts
from bot.domain.scores import ScoreSplit
from bot.services import roles
from storage import health, home
from storage.digest import QUARTER
from storage.metrics import FOLLOW_UP_WITHIN, follow_up_completion

log = logging.getLogger(__name__)

CASES_SHOWN = 20
ACCOUNTS_SHOWN = 25


async def load_home(rt: Runtime, user_id: str, now: datetime) -> HomeTab:
    """The person's tab: account figures only for staff of our own workspace."""
    try:  # their own team, from Slack: a Slack Connect guest named as a CSM is external
        found = await roles.role(rt, user_id, await roles.team_of(rt, user_id))
    except TryLater:  # Slack cannot say who they are: nothing that needs a role
        found = Role.EXTERNAL
    if not reads_accounts(found):  # not staff: no account figures at all
        return HomeTab(user_id, now, [], CaseCounts(0, 0), [], ScoreSplit(), 0)
    async with rt.db.session() as session:
        cases, counts = await home.open_cases(
            session=session,
            user_id=user_id,
            overdue_before=now - FOLLOW_UP_WITHIN,
            limit=CASES_SHOWN,
        )
        accounts, book, owned = await home.account_nps(
            session=session,
            user_id=user_id,
            window=Window(now - QUARTER, now),
            limit=ACCOUNTS_SHOWN,
        )
        scores = await health.owned_scores(session=session, user_id=user_id, limit=ACCOUNTS_SHOWN)
        completion = await follow_up_completion(
            session=session, since=now - QUARTER, until=now, now=now
        )
    return HomeTab(
        user_id,
        now,
        cases,
        counts,
        accounts,
        book,
        owned,
        completion=completion,
        admin=found is Role.ADMIN,
        workspace_url=await roles.workspace_url(rt),
        health=scores,
        bands=rt.settings.verdict_bands,
    )


async def publish_home(rt: Runtime, user_id: str, now: datetime) -> bool:
    """Show the person their Home tab; False when Slack refused it (logged)."""
    tab = await load_home(rt, user_id, now)
    try:
        await rt.slack.views_publish(user_id=user_id, view=home_view(tab).to_dict())
    except SlackError as exc:
        log.error("home tab not published", extra={"user": user_id, "error": error_code(exc)})
        return False
    return True
