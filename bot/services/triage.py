"""Triage: `/voc request ID STATE`, `/voc theme THEME STATE`, and a request in detail.

A state change tells the people who asked (bot/domain/triage.py says when), each once per
state: the same notice rows and DMs as `/voc ship` (bot/services/shipping.py), one kind a
state. Shipped runs the ship flow itself (the "it's live" DM, "did it solve it?" a week on).
"""

from __future__ import annotations

import logging
from datetime import datetime

from blocks import triage as triage_blocks
from bot.core.runtime import Runtime
from bot.domain.admin_commands import RequestStateChange, RequestTellCustomers, ThemeStateChange
from bot.domain.reports import ShipReport
from bot.domain.triage import (
    NOTICE_OF,
    RequestDetail,
    StateChanged,
    ThemeStateChanged,
    tells,
)
from bot.domain.user_errors import NoSuchRequestId
from bot.domain.vocabulary import RequestStatus
from bot.services import audit, impact, shipping
from storage import shipping as shipping_store
from storage import triage as store
from storage.models import FeatureRequest

log = logging.getLogger(__name__)


async def change_state(
    rt: Runtime, change: RequestStateChange, *, user_id: str, now: datetime
) -> StateChanged:
    """Move a request to a state and tell who asked (when the state or staff say so), once."""
    request = await _request(rt, change.request_id)
    telling = tells(change.state, change.tell)
    if change.state == RequestStatus.SHIPPED and telling:
        report = await shipping.ship_request(rt, request, user_id=user_id, now=now)
        if report.newly_shipped or change.note:
            async with rt.db.transaction() as session:
                if report.newly_shipped:
                    await store.stamp(
                        session=session,
                        request_id=change.request_id,
                        by=user_id,
                        now=now,
                        note=change.note,
                    )
                else:  # shipped before: only the newer note is kept
                    await store.set_state(
                        session=session,
                        request_id=change.request_id,
                        state=change.state,
                        note=change.note,
                        by=user_id,
                        now=now,
                    )
        changed, sent, already, failed = (
            report.newly_shipped,
            report.sent,
            report.already,
            report.failed,
        )
    else:
        async with rt.db.transaction() as session:
            changed = await store.set_state(
                session=session,
                request_id=change.request_id,
                state=change.state,
                note=change.note,
                by=user_id,
                now=now,
            )
        sent, already, failed = 0, 0, {}
        if telling:
            told = await _tell(rt, request, change, now)
            sent, already, failed = told.sent, told.already, told.failed
    await audit.record(
        rt,
        actor=user_id,
        action="request state",
        now=now,
        detail=f"request {change.request_id}: {change.state}",
    )
    log.info(
        "request state changed",
        extra={"request_id": change.request_id, "state": str(change.state), "sent": sent},
    )
    return StateChanged(
        change.request_id,
        request.name,
        change.state,
        changed,
        told=sent,
        already=already,
        failed=tuple(failed.items()),
        telling=telling,
    )


async def tell_customers(rt: Runtime, change: RequestTellCustomers, *, user_id: str) -> str:
    """Opt a request in (or out) of the customer-facing monthly roll-up; its name."""
    request = await _request(rt, change.request_id)
    async with rt.db.transaction() as session:
        await store.set_tell_customers(session=session, request_id=change.request_id, on=change.on)
    return request.name


async def change_theme(
    rt: Runtime, change: ThemeStateChange, *, user_id: str, now: datetime
) -> ThemeStateChanged:
    async with rt.db.transaction() as session:
        changed = await store.set_theme_state(
            session=session,
            theme=change.theme,
            state=change.state,
            note=change.note,
            by=user_id,
            now=now,
        )
    await audit.record(
        rt, actor=user_id, action="theme state", now=now, detail=f"{change.theme}: {change.state}"
    )
    return ThemeStateChanged(change.theme, change.state, changed)


async def detail(rt: Runtime, request_id: int, now: datetime) -> RequestDetail:
    """One request with its accounts, ARR, state and (once shipped) its impact."""
    request = await _request(rt, request_id)
    async with rt.db.session() as session:
        accounts = await store.requesting_accounts(session=session, request_id=request_id)
        mentions = await store.mentions(session=session, request_id=request_id)
    shipped = request.status == RequestStatus.SHIPPED and request.shipped_at is not None
    return RequestDetail(
        request_id,
        request.name,
        RequestStatus(request.status),
        request.state_note,
        request.state_at,
        request.state_by,
        sum(arr or 0.0 for _id, _name, arr in accounts),
        tuple((name, arr) for _id, name, arr in accounts),
        mentions,
        request.tell_customers,
        await impact.of_request(rt, request_id, request.shipped_at, now)
        if shipped and request.shipped_at
        else None,
    )


async def _tell(
    rt: Runtime, request: FeatureRequest, change: RequestStateChange, now: datetime
) -> ShipReport:
    kind = NOTICE_OF[change.state]
    async with rt.db.transaction() as session:
        people = await shipping_store.recipients(session=session, request_id=change.request_id)
        await shipping_store.add_notices(
            session=session, request_id=change.request_id, people=people, now=now, kind=kind
        )
    name, state, note = request.name, change.state, change.note
    return await shipping.send_notices(
        rt,
        request,
        kind=kind,
        people=len(people),
        now=now,
        message=lambda _notice, locale: (triage_blocks.state_text(name, state, note, locale), None),
    )


async def _request(rt: Runtime, request_id: int) -> FeatureRequest:
    async with rt.db.session() as session:
        request = await session.get(FeatureRequest, request_id)
    if request is None:
        raise NoSuchRequestId(number=request_id)
    return request
