"""`/voc ship`: a feature request goes live and everyone who asked hears it, once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from slack_sdk.models.blocks import Block

from blocks import requests as requests_blocks
from blocks.surveys import to_dicts
from blocks.text import escape, shorten
from bot.core.runtime import Runtime
from bot.core.slack import find_by_metadata
from bot.core.slack_errors import SlackError
from bot.domain.figures import RequestOutcome
from bot.domain.names import name_key
from bot.domain.reports import ShipReport
from bot.domain.user_errors import (
    AlreadyShipped,
    FeatureUnsaid,
    NoSuchRequest,
    NotAButton,
    SeveralRequests,
)
from bot.domain.vocabulary import NoticeKind, RequestStatus, SolvedAnswer
from bot.services import audit
from storage import feedback, shipping
from storage.models import FeatureRequest, ShipNotice

log = logging.getLogger(__name__)
# Long enough for one DM round; a process killed mid-send leaves notices a later ship retries
# (after looking in the person's DM for the message, by its metadata, so none is doubled).
NOTICE_LEASE = timedelta(minutes=5)
NOTICE_METADATA_EVENT = "voc_ship_notice"
ASK_AFTER = timedelta(days=7)  # the customers who asked hear "did it solve it?" this long after
ASK_WINDOW = timedelta(days=30)  # a request shipped longer ago than this is not asked any more
Message = tuple[str, list[Block] | None]  # a DM's text and optional blocks


def live_text(feature: str, locale: str | None = None, url: str | None = None) -> str:
    """The DM: "You asked for X — it's live" (and how to use it), in the contact's language."""
    return requests_blocks.live_text(feature, url, locale)


async def ship(
    rt: Runtime, *, feature: str, user_id: str, now: datetime, url: str | None = None
) -> ShipReport:
    """Mark a feature request shipped and DM each contact and CSM linked to it, once.

    `url` is the "how to use it" link the grammar read (bot/domain/admin_commands.py).

    A notice row per person (unique per request and kind) is claimed with a lease before its
    DM, so a repeated or concurrent `/voc ship` never DMs anyone twice; a DM Slack refuses
    keeps its error and is not retried. A week later `ask_due` asks the customers who asked
    one question: did it solve what they needed?
    """
    request = await _find_request(rt, feature)
    return await ship_request(rt, request, user_id=user_id, now=now, url=url)


async def ship_request(
    rt: Runtime, request: FeatureRequest, *, user_id: str, now: datetime, url: str | None = None
) -> ShipReport:
    """`ship` for a request already found (by name, or by id: bot/services/triage.py)."""
    assert request.id is not None
    async with rt.db.transaction() as session:
        newly = await shipping.mark_shipped(
            session=session, request_id=request.id, user_id=user_id, now=now, url=url
        )
        people = await shipping.recipients(session=session, request_id=request.id)
        await shipping.add_notices(session=session, request_id=request.id, people=people, now=now)
        stored = await session.get(FeatureRequest, request.id)
        link = stored.ship_url if stored else url
    report = await send_notices(
        rt,
        request,
        kind=NoticeKind.SHIPPED,
        people=len(people),
        now=now,
        message=lambda _notice, locale: (live_text(request.name, locale, link), None),
    )
    report.newly_shipped = newly
    if newly:
        await audit.record(
            rt, actor=user_id, action="ship", now=now, detail=f"request {request.id}"
        )
    log.info(
        "feature shipped",
        extra={"request_id": request.id, "sent": report.sent, "failed": len(report.failed)},
    )
    return report


async def plan(rt: Runtime, *, feature: str, user_id: str, now: datetime) -> ShipReport:
    """Mark an open request planned and tell everyone who asked for it "it's planned", once."""
    request = await _find_request(rt, feature)
    assert request.id is not None
    if request.status == RequestStatus.SHIPPED:
        raise AlreadyShipped(shown=escape(shorten(request.name, 80)))
    async with rt.db.transaction() as session:
        newly = await shipping.mark_planned(
            session=session, request_id=request.id, user_id=user_id, now=now
        )
        people = await shipping.recipients(session=session, request_id=request.id)
        await shipping.add_notices(
            session=session, request_id=request.id, people=people, now=now, kind=NoticeKind.PLANNED
        )
    report = await send_notices(
        rt,
        request,
        kind=NoticeKind.PLANNED,
        people=len(people),
        now=now,
        message=lambda _notice, locale: (requests_blocks.planned_text(request.name, locale), None),
    )
    report.newly_shipped = newly
    log.info("feature planned", extra={"request_id": request.id, "sent": report.sent})
    return report


async def ask_due(rt: Runtime, now: datetime) -> int:
    """Ask each customer whose request shipped a week ago whether it solved their need, once.

    The question rows are added when they fall due (one per customer, request and kind), so
    a request shipped more than `ASK_WINDOW` before that is never asked.
    """
    async with rt.db.transaction() as session:
        shipped = await shipping.shipped_between(
            session=session, start=now - ASK_AFTER - ASK_WINDOW, end=now - ASK_AFTER
        )
        for request_id, shipped_at in shipped:
            people = await shipping.recipients(session=session, request_id=request_id)
            customers = {user: contact for user, contact in people.items() if contact is not None}
            await shipping.add_notices(
                session=session,
                request_id=request_id,
                people=customers,
                now=now,
                kind=NoticeKind.ASKED,
                due_at=shipped_at + ASK_AFTER,
            )
    async with rt.db.session() as session:
        due = await shipping.requests_with_due_questions(session=session, now=now)
    asked = 0
    for request_id in due:
        async with rt.db.session() as session:
            request = await session.get(FeatureRequest, request_id)
        if request is None:
            continue
        name = request.name

        def question(notice: ShipNotice, locale: str | None, name: str = name) -> Message:
            blocks = requests_blocks.question_blocks(notice.id or 0, name, locale)
            return requests_blocks.question_text(name, locale), blocks

        report = await send_notices(
            rt, request, kind=NoticeKind.ASKED, people=0, now=now, message=question
        )
        asked += report.sent
    return asked


async def answer(
    rt: Runtime, *, notice_id: int, user_id: str, said: str, comment: str | None, now: datetime
) -> tuple[bool, str, str | None]:
    """Record one person's answer to the week-later question; a second answer is ignored.

    Returns (recorded, feature name, locale) so the question can be redrawn answered.
    """
    if said not in {answer.value for answer in SolvedAnswer}:
        raise NotAButton()
    text = (comment or "").strip() or None
    async with rt.db.transaction() as session:
        recorded = await shipping.record_answer(
            session=session,
            notice_id=notice_id,
            user_id=user_id,
            answer=said,
            comment=text,
            now=now,
        )
        notice = await session.get(ShipNotice, notice_id)
        request = await session.get(FeatureRequest, notice.feature_request_id) if notice else None
        locales = await shipping.contact_locales(
            session=session, contact_ids=[notice.contact_id] if notice and notice.contact_id else []
        )
    locale = locales.get(notice.contact_id or 0) if notice else None
    log.info("request question answered", extra={"notice_id": notice_id, "recorded": recorded})
    return recorded, request.name if request else "?", locale


async def outcomes(rt: Runtime) -> list[RequestOutcome]:
    """Recently shipped requests with the customers' week-later answers."""
    async with rt.db.session() as session:
        return await shipping.shipped_outcomes(session=session)


async def send_notices(
    rt: Runtime,
    request: FeatureRequest,
    *,
    kind: str,
    people: int,
    now: datetime,
    message: Callable[[ShipNotice, str | None], Message],
) -> ShipReport:
    """Claim the unsent notices of one kind and DM each person their message, once."""
    assert request.id is not None
    async with rt.db.transaction() as session:
        claimed = await shipping.claim_notices(
            session=session, request_id=request.id, now=now, lease=NOTICE_LEASE, kind=kind
        )
    report = ShipReport(request.name, False, already=max(0, people - len(claimed)))
    async with rt.db.session() as session:
        locales = await shipping.contact_locales(
            session=session, contact_ids=[n.contact_id for n, _ in claimed if n.contact_id]
        )
    for notice, retried in claimed:
        text, blocks = message(notice, locales.get(notice.contact_id or 0))
        error = await _dm(rt, notice, text, look_first=retried, blocks=blocks)
        async with rt.db.transaction() as session:
            await shipping.finish_notice(
                session=session, notice_id=notice.id or 0, now=rt.now(), error=error
            )
        if error:
            report.failed[notice.user_id] = error
        else:
            report.sent += 1
    return report


async def _dm(
    rt: Runtime,
    notice: ShipNotice,
    text: str,
    *,
    look_first: bool,
    blocks: list[Block] | None = None,
) -> str | None:
    """DM one person; a notice whose earlier sender died is looked for in the DM first."""
    user_id = notice.user_id
    try:
        if look_first and await _already_sent(rt, notice):
            return None
        await rt.slack.chat_postMessage(
            channel=user_id,
            text=text,
            blocks=to_dicts(blocks) if blocks else None,
            metadata={"event_type": NOTICE_METADATA_EVENT, "event_payload": {"notice": notice.id}},
        )
    except SlackError as exc:
        code = str(exc.code or "slack_error")
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
        raise FeatureUnsaid()
    async with rt.db.session() as session:
        found = await feedback.requests_matching(session=session, key=key)
    if len(found) == 1:
        return found[0]
    shown = shorten(feature, 80)
    if found:
        raise SeveralRequests(shown=shown, names=[request.name for request in found[:10]])
    raise NoSuchRequest(shown=shown)
