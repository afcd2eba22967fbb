"""Campaigns you can see and change: every `send` and autopilot run, cancel, reschedule.

`python -m bot campaigns` lists them with what came of their invitations; `campaigns cancel
ID` takes back what has not gone out (a row mid-send finishes: its lease decides);
`campaigns reschedule ID --at …` moves it, each contact still inside their send window.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.runtime import Runtime
from bot.domain import campaigns as rules
from bot.domain.admin_commands import CampaignCancel, CampaignReschedule
from bot.domain.admin_results import (
    CampaignCancelled,
    CampaignRescheduled,
    CampaignView,
    NoSuchCampaign,
    NothingToCancel,
    NothingToReschedule,
    Unreachable,
    is_unreachable,
)
from bot.domain.campaigns import CampaignId
from bot.domain.errors import UserError
from bot.domain.vocabulary import InvitationStatus
from bot.services import audit
from storage import autopilot as autopilots
from storage import campaigns as store
from storage import reach as reach_store
from storage.models import Campaign


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
            skipped = await reach_store.outcomes(
                session=session, campaign_id=row.id, status=InvitationStatus.SKIPPED
            )
            unreachable = [
                Unreachable(o.email, o.account, o.skip_reason)
                for o in skipped
                if o.skip_reason and is_unreachable(o.skip_reason)
            ]
            views.append(
                CampaignView(
                    CampaignId(row.id),
                    row.kind,
                    row.audience,
                    row.created_at,
                    found,
                    unreachable=unreachable,
                )
            )
        for pilot in await autopilots.all_autopilots(session=session):
            assert pilot.id is not None
            found = await store.figures(session=session, where=store.of_autopilot(pilot.id))
            views.append(
                CampaignView(
                    CampaignId(pilot.id, autopilot=True),
                    pilot.kind,
                    "",
                    pilot.created_at,
                    found,
                    pilot.status,
                    every_days=pilot.every_days,
                    segment=pilot.segment,
                    quarter_week=pilot.quarter_week,
                )
            )
    return views


async def cancel(
    rt: Runtime, request: CampaignCancel, *, by: str, now: datetime
) -> CampaignCancelled:
    """Cancel what has not gone out; how many were cancelled and how many had gone out."""
    found = request.campaign
    where = await _where(rt, found)
    async with rt.db.transaction() as session:
        cancelled = await store.cancel_scheduled(session=session, where=where, now=now)
        after = await store.figures(session=session, where=where)
        refusal = NothingToCancel(found, after.sent, sum(after.skipped.values()))
        await _record_or_refuse(session, cancelled, found, "cancel", by, now, refusal)
    return CampaignCancelled(found, cancelled, after.sent)


async def reschedule(
    rt: Runtime, request: CampaignReschedule, *, by: str, now: datetime
) -> CampaignRescheduled:
    """Move what has not gone out to `at` (each contact's local time, inside their window,
    never on a month's last three business days); `at` None (`--at now`): due at once."""
    found, moment = request.campaign, request.at
    if moment is not None:
        rules.check_future(moment, now)
    where = await _where(rt, found)
    exact = moved = 0
    async with rt.db.transaction() as session:
        pending = await store.scheduled_with_zones(session=session, where=where)
        for invitation_id, tz in pending:
            due = now if moment is None else rules.moved_due(moment, tz, now)
            if await store.move(session=session, invitation_id=invitation_id, due_at=due):
                exact += moment is None or _local(due, tz) == moment
                moved += 1
        refusal = NothingToReschedule(found)
        await _record_or_refuse(session, moved, found, "reschedule", by, now, refusal)
    return CampaignRescheduled(found, moment, moved, moved - exact)


async def _record_or_refuse(
    session: AsyncSession,
    count: int,
    found: CampaignId,
    action: str,
    by: str,
    now: datetime,
    refusal: UserError,
) -> None:
    """Audit a change that touched invitations; raise `refusal` when none."""
    if not count:
        raise refusal
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
                raise NoSuchCampaign(found)
            return store.of_autopilot(found.number)
        if await session.get(Campaign, found.number) is None:
            raise NoSuchCampaign(found)
    return store.of_campaign(found.number)
