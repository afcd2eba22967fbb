"""`/voc ship`: a feature request goes live and everyone who asked hears it, once."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError

from blocks.catalog import t
from blocks.text import escape, shorten
from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.core.slack import find_by_metadata
from bot.domain.names import name_key
from bot.domain.reports import ShipReport
from bot.services import audit
from storage import feedback, shipping
from storage.models import FeatureRequest, ShipNotice

log = logging.getLogger(__name__)
# Long enough for one DM round; a process killed mid-send leaves notices a later ship retries
# (after looking in the person's DM for the message, by its metadata, so none is doubled).
NOTICE_LEASE = timedelta(minutes=5)
NOTICE_METADATA_EVENT = "voc_ship_notice"
ADMIN_ONLY = "Only VoC admins can {what}. Ask one of them, or ask to be added to VOC_ADMINS."


def require_admin(rt: Runtime, user_id: str, what: str) -> None:
    if not rt.settings.is_admin(user_id):
        raise UserError(ADMIN_ONLY.format(what=what))


def live_text(feature: str, locale: str | None = None) -> str:
    """The DM: "You asked for X — it's live", in the contact's language."""
    return t(locale, "ship.live", feature=escape(shorten(feature, 200)))


async def ship(rt: Runtime, *, feature: str, user_id: str, now: datetime) -> ShipReport:
    """Mark a feature request shipped and DM each contact and CSM linked to it, once.

    A notice row per person (unique per request) is claimed with a lease before its DM, so a
    repeated or concurrent `/voc ship` never DMs anyone twice; a DM Slack refuses keeps its
    error and is not retried.
    """
    require_admin(rt, user_id, "mark features shipped")
    request = await _find_request(rt, feature)
    assert request.id is not None
    async with rt.db.transaction() as session:
        newly = await shipping.mark_shipped(
            session=session, request_id=request.id, user_id=user_id, now=now
        )
        people = await shipping.recipients(session=session, request_id=request.id)
        await shipping.add_notices(session=session, request_id=request.id, people=people, now=now)
    async with rt.db.transaction() as session:
        claimed = await shipping.claim_notices(
            session=session, request_id=request.id, now=now, lease=NOTICE_LEASE
        )
    if newly:
        await audit.record(
            rt, actor=user_id, action="ship", now=now, detail=f"request {request.id}"
        )
    report = ShipReport(request.name, newly, already=len(people) - len(claimed))
    async with rt.db.session() as session:
        locales = await shipping.contact_locales(
            session=session, contact_ids=[n.contact_id for n, _ in claimed if n.contact_id]
        )
    for notice, retried in claimed:
        text = live_text(request.name, locales.get(notice.contact_id or 0))
        error = await _dm(rt, notice, text, look_first=retried)
        async with rt.db.transaction() as session:
            await shipping.finish_notice(
                session=session, notice_id=notice.id or 0, now=rt.now(), error=error
            )
        if error:
            report.failed[notice.user_id] = error
        else:
            report.sent += 1
    log.info(
        "feature shipped",
        extra={"request_id": request.id, "sent": report.sent, "failed": len(report.failed)},
    )
    return report


async def _dm(rt: Runtime, notice: ShipNotice, text: str, *, look_first: bool) -> str | None:
    """DM one person; a notice whose earlier sender died is looked for in the DM first."""
    user_id = notice.user_id
    try:
        if look_first and await _already_sent(rt, notice):
            return None
        await rt.slack.chat_postMessage(
            channel=user_id,
            text=text,
            metadata={"event_type": NOTICE_METADATA_EVENT, "event_payload": {"notice": notice.id}},
        )
    except SlackApiError as exc:
        code = str(exc.response.get("error") or "slack_error")
        log.warning("ship notice refused", extra={"user": user_id, "error": code})
        return code
    return None


async def _already_sent(rt: Runtime, notice: ShipNotice) -> bool:
    opened = await rt.slack.conversations_open(users=notice.user_id)
    found = await find_by_metadata(
        rt.slack,
        channel=opened["channel"]["id"],
        since=notice.created_at - timedelta(hours=1),
        event_type=NOTICE_METADATA_EVENT,
        key="notice",
        value=notice.id,
    )
    if found:
        log.info("ship notice found already sent", extra={"notice_id": notice.id})
    return found is not None


async def _find_request(rt: Runtime, feature: str) -> FeatureRequest:
    key = name_key(feature)
    if not key:
        raise UserError("Say which feature: `/voc ship SSO`. `/voc requests` lists them.")
    async with rt.db.session() as session:
        found = await feedback.requests_matching(session=session, key=key)
    if len(found) == 1:
        return found[0]
    shown = shorten(feature, 80)
    if found:
        names = ", ".join(request.name for request in found[:10])
        raise UserError(f'"{shown}" matches several requests: {names}. Type the full name.')
    raise UserError(f'No feature request is named "{shown}". `/voc requests` lists them.')
