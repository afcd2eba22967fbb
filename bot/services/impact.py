"""Impact: what a shipped request or a fixed theme changed, 90 days before against after.

For a request, the NPS and CSAT of the accounts that asked for it; for a theme, those of the
accounts whose feedback carried it in the 90 days before the fix, and the theme's share of
all comments. Each figure keeps the number of answers behind it; below five it is shown as
too few to read (bot/domain/triage.py).
"""

from __future__ import annotations

from datetime import datetime

from bot.core.runtime import Runtime
from bot.domain.triage import IMPACT_WINDOW, Impact, Window
from storage import impact
from storage import triage as triage_store


async def of_request(rt: Runtime, request_id: int, shipped_at: datetime, now: datetime) -> Impact:
    async with rt.db.session() as session:
        accounts = await triage_store.requesting_accounts(session=session, request_id=request_id)
    return await _impact(rt, [account_id for account_id, _n, _a in accounts], shipped_at, now)


async def of_theme(rt: Runtime, theme: str, fixed_at: datetime, now: datetime) -> Impact:
    async with rt.db.session() as session:
        accounts = await impact.theme_accounts(
            session=session, theme=theme, start=fixed_at - IMPACT_WINDOW, end=fixed_at
        )
    return await _impact(rt, accounts, fixed_at, now, theme=theme)


async def _impact(
    rt: Runtime, accounts: list[int], at: datetime, now: datetime, theme: str | None = None
) -> Impact:
    sides = []
    async with rt.db.session() as session:
        for start, end in ((at - IMPACT_WINDOW, at), (at, at + IMPACT_WINDOW)):
            nps, csat = await impact.scores(
                session=session, account_ids=accounts, start=start, end=end
            )
            share = (
                await impact.theme_share(session=session, theme=theme, start=start, end=end)
                if theme
                else None
            )
            sides.append(Window(nps, csat, share))
    return Impact(at, len(accounts), sides[0], sides[1], complete=now >= at + IMPACT_WINDOW)
