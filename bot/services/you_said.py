""" "You said, we did": the month's shipped requests and fixed themes, posted once a month.

The roll-up names the requesting accounts, their ARR and each item's impact
(bot/services/impact.py). It is posted to INSIGHTS_CHANNEL once a month, from 09:00
(DIGEST_TZ) on the first working day, about the month before; `report you-said-we-did`
prints it. Requests staff opted in (`/voc request ID tell-customers`) also send the
customers who asked a short note in their language, once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from blocks import you_said as rollup_blocks
from blocks.surveys import to_dicts
from bot.core.runtime import Runtime
from bot.core.slack import find_by_metadata
from bot.core.slack_errors import SlackError
from bot.domain.triage import (
    ROLLUP_HOUR,
    FixedTheme,
    Rollup,
    ShippedRequest,
    first_working_day,
    month_after,
    month_before,
    month_key,
    month_named,
)
from bot.domain.vocabulary import NoticeKind
from bot.services import impact, shipping
from bot.services.shipping import Message
from storage import post_runs
from storage import shipping as shipping_store
from storage import triage as triage_store
from storage.models import FeatureRequest, RollupRun, ShipNotice

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)
METADATA_EVENT = "voc_you_said_we_did"


def _bounds(rt: Runtime, year: int, month: int) -> tuple[datetime, datetime]:
    zone = ZoneInfo(rt.settings.digest_tz)
    after = month_after(year, month)
    start = datetime(year, month, 1, tzinfo=zone)
    return start, datetime(after[0], after[1], 1, tzinfo=zone)


def default_month(rt: Runtime, now: datetime) -> str:
    """The month before this one (DIGEST_TZ): the one the first working day's post covers."""
    return month_key(*month_before(now.astimezone(ZoneInfo(rt.settings.digest_tz)).date()))


async def build(rt: Runtime, month: str, now: datetime) -> Rollup:
    """The roll-up of `month` (YYYY-MM): what shipped and what was fixed, with impact."""
    year, number = month_named(month)
    start, end = _bounds(rt, year, number)
    async with rt.db.session() as session:
        requests = await triage_store.shipped_in(session=session, start=start, end=end)
        themes = await triage_store.themes_fixed_in(session=session, start=start, end=end)
        asked = {
            request.id: await triage_store.requesting_accounts(
                session=session, request_id=request.id or 0
            )
            for request in requests
        }
    shipped = []
    for request in requests:
        assert request.id is not None and request.shipped_at is not None
        accounts = asked[request.id]
        shipped.append(
            ShippedRequest(
                request.id,
                request.name,
                request.shipped_at,
                tuple((name, arr) for _id, name, arr in accounts),
                sum(arr or 0.0 for _id, _name, arr in accounts),
                await impact.of_request(rt, request.id, request.shipped_at, now),
                request.tell_customers,
            )
        )
    fixed = [
        FixedTheme(
            theme.theme,
            theme.fixed_at,
            theme.note,
            await impact.of_theme(rt, theme.theme, theme.fixed_at, now),
        )
        for theme in themes
        if theme.fixed_at is not None
    ]
    return Rollup(month_key(year, number), tuple(shipped), tuple(fixed))


async def post_due(rt: Runtime, now: datetime) -> int:
    """Scheduler job: last month's roll-up to INSIGHTS_CHANNEL once, from the first working
    day's 09:00 (DIGEST_TZ); then the customers opted in hear of it. 1 when posted; a month
    in which nothing shipped and nothing was fixed is passed over without a post."""
    channel = rt.settings.insights_channel
    if not channel:
        return 0
    zone = ZoneInfo(rt.settings.digest_tz)
    local = now.astimezone(zone)
    due = datetime.combine(
        first_working_day(local.year, local.month), time(ROLLUP_HOUR), tzinfo=zone
    )
    if local < due:
        return 0
    month = default_month(rt, now)
    async with rt.db.transaction() as session:
        claimed, retried = await post_runs.claim(
            session=session, table=RollupRun, key=month, now=now, lease=LEASE
        )
    if not claimed:
        return 0
    rollup = await build(rt, month, now)
    if not rollup.shipped and not rollup.fixed:  # a month with nothing to say is not posted
        async with rt.db.transaction() as session:
            await post_runs.mark_posted(
                session=session, table=RollupRun, key=month, channel="", ts="", now=now
            )
        return 0
    try:
        ts = await _find_posted(rt, channel, month, now) if retried else None
        if ts is None:
            posted = await rt.slack.chat_postMessage(
                channel=channel,
                text=rollup_blocks.rollup_title(rollup),
                blocks=to_dicts(rollup_blocks.rollup_blocks(rollup)),
                metadata={"event_type": METADATA_EVENT, "event_payload": {"month": month}},
            )
            ts = str(posted["ts"])
    except SlackError as exc:  # the lease runs out and a later pass tries again
        code = str(exc.code or "slack_error")
        log.error("you-said-we-did not posted", extra={"month": month, "error": code})
        async with rt.db.transaction() as session:
            await post_runs.record_error(session=session, table=RollupRun, key=month, error=code)
        return 0
    async with rt.db.transaction() as session:
        await post_runs.mark_posted(
            session=session, table=RollupRun, key=month, channel=channel, ts=ts, now=now
        )
    log.info("you-said-we-did posted", extra={"month": month})
    await tell_customers(rt, rollup, now)
    return 1


async def tell_customers(rt: Runtime, rollup: Rollup, now: datetime) -> int:
    """The customers who asked for an opted-in request hear "you said, we did", once each."""
    told = 0
    for item in rollup.shipped:
        if not item.tell_customers:
            continue
        async with rt.db.transaction() as session:
            people = await shipping_store.recipients(session=session, request_id=item.request_id)
            customers = {user: contact for user, contact in people.items() if contact is not None}
            await shipping_store.add_notices(
                session=session,
                request_id=item.request_id,
                people=customers,
                now=now,
                kind=NoticeKind.ROLLUP,
            )
            request = await session.get(FeatureRequest, item.request_id)
        if request is None:
            continue
        report = await shipping.send_notices(
            rt,
            request,
            kind=NoticeKind.ROLLUP,
            people=len(customers),
            now=now,
            message=_customer_note(item.feature, rollup.month),
        )
        told += report.sent
    return told


def _customer_note(feature: str, month: str) -> Callable[[ShipNotice, str | None], Message]:
    def note(_notice: ShipNotice, locale: str | None) -> Message:
        return rollup_blocks.customer_text(feature, month, locale), None

    return note


async def _find_posted(rt: Runtime, channel: str, month: str, now: datetime) -> str | None:
    return await find_by_metadata(
        rt.slack,
        channel=channel,
        since=now - timedelta(days=31),
        event_type=METADATA_EVENT,
        key="month",
        value=month,
    )
