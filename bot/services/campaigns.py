"""Campaigns you can see and change: every `send` and autopilot run, cancel, reschedule.

`python -m bot campaigns` lists them with what came of their invitations; `campaigns cancel
ID` takes back what has not gone out (a row mid-send finishes: its lease decides);
`campaigns reschedule ID --at …` moves it, each contact still inside their send window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.runtime import Runtime
from bot.domain import campaigns as rules
from bot.domain.campaigns import CampaignId
from bot.domain.errors import UserError
from bot.domain.figures import Figures
from bot.services import audit
from storage import autopilot as autopilots
from storage import campaigns as store
from storage.models import Campaign


@dataclass(frozen=True)
class CampaignView:
    id: CampaignId
    kind: str
    audience: str
    created: datetime
    figures: Figures
    status: str = ""  # an autopilot's: active, paused, stopped

    def line(self) -> str:
        f = self.figures
        waiting = "none waiting"
        if f.scheduled and f.next_due:
            waiting = f"{f.scheduled} waiting, due {f.next_due:%Y-%m-%d %H:%M}"
            if f.last_due and f.last_due != f.next_due:
                waiting += f" to {f.last_due:%Y-%m-%d %H:%M}"
            waiting += " UTC"
        skipped = ", ".join(f"{reason} {count}" for reason, count in sorted(f.skipped.items()))
        state = f" ({self.status})" if self.status else ""
        return (
            f"{self.id}  {self.kind.upper()} {self.audience}{state}, created "
            f"{self.created:%Y-%m-%d %H:%M} UTC: {f.created} invitations, {waiting}, "
            f"{f.sent} sent, {f.answered} answered"
            + (f", {f.failed} failed" if f.failed else "")
            + f", skipped {sum(f.skipped.values())}"
            + (f" ({skipped})" if skipped else "")
        )


async def new_campaign(
    rt: Runtime, *, kind: str, audience: str, by: str | None, now: datetime
) -> int:
    """A campaign row for one `send`; its invitations carry the id returned."""
    async with rt.db.transaction() as session:
        campaign = await store.create(session=session, kind=kind, audience=audience, by=by, now=now)
    assert campaign.id is not None
    return campaign.id


async def list_campaigns(rt: Runtime) -> list[CampaignView]:
    """Every campaign, then every autopilot run, oldest first."""
    views: list[CampaignView] = []
    async with rt.db.session() as session:
        for row in await store.all_campaigns(session=session):
            assert row.id is not None
            found = await store.figures(session=session, where=store.of_campaign(row.id))
            views.append(
                CampaignView(CampaignId(row.id), row.kind, row.audience, row.created_at, found)
            )
        for pilot in await autopilots.all_autopilots(session=session):
            assert pilot.id is not None
            found = await store.figures(session=session, where=store.of_autopilot(pilot.id))
            audience = f"autopilot every {pilot.every_days}d, " + (
                f"segment {pilot.segment}" if pilot.segment else "everyone"
            )
            views.append(
                CampaignView(
                    CampaignId(pilot.id, autopilot=True),
                    pilot.kind,
                    audience,
                    pilot.created_at,
                    found,
                    pilot.status,
                )
            )
    return views


def listing(views: list[CampaignView]) -> str:
    if not views:
        return "No campaigns yet. Start one: send nps (or autopilot nps --every 90d)."
    return "\n".join(view.line() for view in views)


async def cancel(rt: Runtime, *, campaign: str, by: str, now: datetime) -> str:
    """Cancel what has not gone out; say how many were cancelled and how many went out."""
    found = rules.parse_id(campaign)
    where = await _where(rt, found)
    async with rt.db.transaction() as session:
        cancelled = await store.cancel_scheduled(session=session, where=where, now=now)
        after = await store.figures(session=session, where=where)
        refusal = (
            f"Campaign {found} has nothing left to cancel: {after.sent} already went out, "
            f"{sum(after.skipped.values())} skipped. See them with `campaigns`."
        )
        await _record_or_refuse(session, cancelled, found, "cancel", by, now, refusal)
    line = f"Campaign {found}: cancelled {cancelled}; {after.sent} had already gone out."
    if found.autopilot:
        line += f" The autopilot keeps planning later periods: `autopilot stop {found.number}`."
    return line


async def reschedule(rt: Runtime, *, campaign: str, at: str, by: str, now: datetime) -> str:
    """Move what has not gone out to `at` (each contact's local time, inside their window)."""
    found = rules.parse_id(campaign)
    if found.autopilot:
        raise UserError(
            f"An autopilot picks each contact's day itself: `autopilot pause {found.number}` "
            f"holds it back, `campaigns cancel {found}` takes back what is scheduled."
        )
    moment = rules.parse_at(at)
    rules.check_future(moment, now)
    where = await _where(rt, found)
    exact = moved = 0
    async with rt.db.transaction() as session:
        pending = await store.scheduled_with_zones(session=session, where=where)
        for invitation_id, tz in pending:
            due = rules.moved_due(moment, tz, now)
            if await store.move(session=session, invitation_id=invitation_id, due_at=due):
                exact += _local(due, tz) == moment
                moved += 1
        refusal = (
            f"Campaign {found} has nothing left to reschedule: it has all gone out or been "
            "cancelled. See it with `campaigns`."
        )
        await _record_or_refuse(session, moved, found, "reschedule", by, now, refusal)
    line = f"Campaign {found}: rescheduled {moved} to {moment:%a %d %b %Y %H:%M}, their local time"
    if moved - exact:
        line += (
            f"; {moved - exact} of them outside the Tue–Thu 09:00–11:00 window there, "
            "moved to their next slot after it"
        )
    return line + "."


async def _record_or_refuse(
    session: AsyncSession,
    count: int,
    found: CampaignId,
    action: str,
    by: str,
    now: datetime,
    refusal: str,
) -> None:
    """Audit a change that touched invitations; `refusal` as a UserError when none."""
    if not count:
        raise UserError(refusal)
    detail = str(found)
    await audit.record_in(session, actor=by, action=f"campaign {action}", detail=detail, now=now)


def _local(due: datetime, tz: str | None) -> datetime:
    return due.astimezone(rules.zone(tz)).replace(tzinfo=None)


async def _where(rt: Runtime, found: CampaignId) -> ColumnElement[bool]:
    """The invitations of the campaign; a UserError when there is no such campaign."""
    async with rt.db.session() as session:
        if found.autopilot:
            pilot = await autopilots.get(session=session, autopilot_id=found.number)
            if pilot is None:
                raise UserError(f"No autopilot A{found.number}. `campaigns` lists them.")
            return store.of_autopilot(found.number)
        if await session.get(Campaign, found.number) is None:
            raise UserError(f"No campaign {found}. `campaigns` lists them.")
    return store.of_campaign(found.number)


async def command(rt: Runtime, *, args: str, user_id: str) -> str:
    """`/voc campaigns [list] | cancel ID | reschedule ID YYYY-MM-DD HH:MM`, for admins."""
    from bot.services.shipping import require_admin

    require_admin(rt, user_id, "see and change campaigns")
    verb, *rest = args.split() or ["list"]
    verb = verb.lower()
    if verb == "list" and not rest:
        return listing(await list_campaigns(rt))
    if verb == "cancel" and len(rest) == 1:
        return await cancel(rt, campaign=rest[0], by=user_id, now=rt.now())
    if verb == "reschedule" and len(rest) >= 2:
        at = " ".join(word for word in rest[1:] if word != "--at")
        return await reschedule(rt, campaign=rest[0], at=at, by=user_id, now=rt.now())
    raise UserError(
        "Try `/voc campaigns`, `/voc campaigns cancel 3` or "
        "`/voc campaigns reschedule 3 2026-12-08 09:30`"
    )
