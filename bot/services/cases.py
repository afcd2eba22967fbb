"""The follow-up loop: a card in #voc for every unhappy answer and every account whose
health slid, claims, logged outcomes, escalations when nobody follows up in time."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession

from blocks.cases import (
    CaseCard,
    case_blocks,
    case_text,
    escalation_text,
)
from blocks.ids import CASE_CARD_METADATA_EVENT
from blocks.surveys import to_dicts
from bot.core.runtime import Runtime
from bot.core.slack import error_code, find_by_metadata
from bot.core.slack_errors import SlackError
from bot.domain.outcomes import follow_up_errors
from bot.domain.scales import needs_follow_up
from bot.domain.user_errors import BadFollowUp, CaseGone
from bot.domain.vocabulary import HEALTH_CASE, CaseReview, SurveyKind
from bot.services import crm_push, roles, webhooks
from storage import cases, crm_sync, erasure, health, responses
from storage.models import FollowUpCase

log = logging.getLogger(__name__)

ESCALATION_EVERY = timedelta(hours=24)
MAX_ESCALATIONS = 3
CARD_LEASE = timedelta(minutes=5)
CLOSING_OUTCOMES = frozenset({"recovered", "churn_risk", "unreachable"})


def review_for(kind: str) -> str:
    """NPS detractors go to the CSM; low CSAT and CES to the support manager."""
    return CaseReview.CSM if kind == SurveyKind.NPS else CaseReview.SUPPORT


async def open_case_if_unhappy(
    session: AsyncSession,
    *,
    rt: Runtime,
    response_id: int,
    invitation_id: int,
    contact_id: int,
    account_id: int,
    kind: str,
    score: int,
    now: datetime,
) -> int | None:
    """Inside the answer's own transaction: one case per unhappy answer, or none."""
    if not needs_follow_up(kind, score):
        return None
    case_id = await cases.open_case(
        session=session,
        response_id=response_id,
        invitation_id=invitation_id,
        contact_id=contact_id,
        account_id=account_id,
        kind=kind,
        score=score,
        review=review_for(kind),
        opened_at=now,
        escalate_at=now + rt.settings.escalate_after,
    )
    await _announce_opened(
        session, rt, case_id, response_id, account_id, kind, score, review_for(kind), now
    )
    return case_id


async def _announce_opened(
    session: AsyncSession,
    rt: Runtime,
    case_id: int,
    response_id: int | None,
    account_id: int,
    kind: str,
    score: int,
    review: str,
    now: datetime,
) -> None:
    """In the opening transaction: the `case.opened` webhook and the CRM's note (an
    answer's case only) and company figures."""
    await webhooks.case_opened(
        session,
        settings=rt.settings,
        case_id=case_id,
        response_id=response_id,
        account_id=account_id,
        kind=kind,
        score=score,
        review=review,
        opened_at=now,
    )
    await crm_push.case_opened(
        session,
        settings=rt.settings,
        case_id=case_id,
        account_id=account_id,
        now=now,
        answered=response_id is not None,
    )


async def open_health_case(
    rt: Runtime, *, account_id: int, score: int, change: int | None, why: str, now: datetime
) -> int | None:
    """A case for an account whose health slid, owned by its CSM (reviewed like an NPS
    detractor's), its card posted in #voc; None while one is already open."""
    async with rt.db.transaction() as session:
        case_id = await cases.open_health_case(
            session=session,
            account_id=account_id,
            score=score,
            change=change,
            why=why,
            review=CaseReview.CSM,
            opened_at=now,
            escalate_at=now + rt.settings.escalate_after,
        )
        if case_id is not None:
            await _announce_opened(
                session, rt, case_id, None, account_id, HEALTH_CASE, score, CaseReview.CSM, now
            )
    if case_id is not None:
        await post_card(rt, case_id, now)
    return case_id


async def load_card(rt: Runtime, case_id: int) -> tuple[CaseCard, FollowUpCase] | None:
    async with rt.db.session() as session:
        row = await cases.card_row(session=session, case_id=case_id)
        if row is None:
            return None
        case, response, contact, account = row
        previous = (
            await responses.previous_score(
                session=session, contact_id=contact.id, kind=case.kind, before=response.answered_at
            )
            if response is not None and contact is not None
            else None
        )
        follow_ups = await cases.follow_up_count(session=session, case_id=case_id)
        synced = await crm_sync.account_synced(session=session, account_id=account.id)
        scored = (await health.latest_scores(session=session, account_ids=[account.id])).get(
            account.id, (None, None, None)
        )
    card = CaseCard(
        case_id=case_id,
        kind=case.kind,
        score=case.score,
        previous_score=previous,
        review=case.review,
        contact_name=contact.name if contact else None,
        contact_email=contact.email if contact else "",
        erased=erasure.is_erased(contact.email) if contact else False,
        account_name=account.name,
        segment=account.segment,
        arr=account.arr,
        plan=account.plan,
        customer_since=account.customer_since,
        health=account.health,
        csm_user_id=account.csm_user_id,
        comment=response.comment if response else None,
        answered_at=response.answered_at if response else case.opened_at,
        claimed_by=case.claimed_by,
        claimed_at=case.claimed_at,
        outcome=case.outcome,
        note=case.note,
        logged_by=case.logged_by,
        logged_at=case.logged_at,
        escalations=case.escalations,
        follow_ups=follow_ups,
        synced=synced,
        health_score=scored[0],
        health_change=scored[1],
        why=case.why,
        score_change=case.health_change,
    )
    return card, case


async def post_card(rt: Runtime, case_id: int, now: datetime) -> bool:
    """Post the case's card to VOC_CHANNEL once; False when it is not (yet) posted."""
    if not rt.settings.voc_channel:
        log.warning("VOC_CHANNEL is not set: follow-up card not posted", extra={"case": case_id})
        return False
    async with rt.db.transaction() as session:
        retried = await cases.card_attempted(session=session, case_id=case_id)
        mine = await cases.claim_card_post(
            session=session, case_id=case_id, now=now, lease=CARD_LEASE
        )
    loaded = await load_card(rt, case_id) if mine else None
    if loaded is None:
        return False
    card, _case = loaded
    channel = card_channel(rt, card.review) or rt.settings.voc_channel
    try:
        ts = await _find_card(rt, channel, card) if retried else None
        if ts is None:
            posted = await rt.slack.chat_postMessage(
                channel=channel,
                text=case_text(card),
                blocks=to_dicts(case_blocks(card, now=now)),
                metadata=card_metadata(case_id),
                unfurl_links=False,
                unfurl_media=False,
            )
            channel, ts = posted["channel"], posted["ts"]
    except SlackError as exc:  # the lease runs out and the next pass looks, then posts
        log.error("follow-up card not posted", extra={"case": case_id, "error": error_code(exc)})
        return False
    async with rt.db.transaction() as session:
        await cases.set_card(session=session, case_id=case_id, channel=channel, ts=str(ts))
    return True


def card_metadata(case_id: int) -> dict[str, object]:
    """Names the case on its card, so a card whose answer was lost is found, not reposted."""
    return {"event_type": CASE_CARD_METADATA_EVENT, "event_payload": {"case_id": case_id}}


async def _find_card(rt: Runtime, channel: str, card: CaseCard) -> str | None:
    return await find_by_metadata(
        rt.slack,
        channel=channel,
        since=card.answered_at - timedelta(hours=1),
        event_type=CASE_CARD_METADATA_EVENT,
        key="case_id",
        value=card.case_id,
    )


async def post_pending_cards(rt: Runtime, now: datetime) -> int:
    """Scheduler job: cards that could not be posted when the answer came in."""
    if not rt.settings.voc_channel:
        return 0
    async with rt.db.session() as session:
        pending = await cases.pending_cards(session=session, now=now, limit=50)
    posted = 0
    for case_id in pending:
        posted += await post_card(rt, case_id, now)
    return posted


async def refresh_card(rt: Runtime, case_id: int, now: datetime) -> bool:
    """Show the case's current state on its card (claim, outcome, late comment, erasure);
    False when there is no card or Slack did not take the update."""
    loaded = await load_card(rt, case_id)
    if loaded is None:
        return False
    card, case = loaded
    if not case.channel or not case.message_ts:
        return False
    try:
        await rt.slack.chat_update(
            channel=case.channel,
            ts=case.message_ts,
            text=case_text(card),
            blocks=to_dicts(case_blocks(card, now=now)),
        )
    except (SlackError, TimeoutError, aiohttp.ClientError) as exc:
        log.warning("card update failed", extra={"case": case_id, "error": error_code(exc)})
        return False
    return True


async def claim_case(
    rt: Runtime, case_id: int, user_id: str, now: datetime, team_id: str = ""
) -> str | None:
    """Claim for `user_id` (staff only); returns the owner when someone else already has it."""
    await roles.require_staff(rt, user_id, team_id)
    async with rt.db.transaction() as session:
        won = await cases.claim(session=session, case_id=case_id, user_id=user_id, now=now)
        case = None if won else await session.get(FollowUpCase, case_id)
    if not won:
        if case is None:
            raise CaseGone()
        return case.claimed_by if case.claimed_by != user_id else None
    await refresh_card(rt, case_id, now)
    return None


async def require_change(
    rt: Runtime, case_id: int, user_id: str, team_id: str = "", locale: str | None = None
) -> CaseCard:
    """The case's card when `user_id` may log on, release or reopen it; else UserError."""
    loaded = await load_card(rt, case_id)
    if loaded is None:
        raise CaseGone()
    card, _case = loaded
    await roles.require_case_change(
        rt,
        user_id,
        team_id,
        claimed_by=card.claimed_by,
        deputies=deputies(rt, card),
        locale=locale,
    )
    return card


def deputies(rt: Runtime, card: CaseCard) -> list[str | None]:
    """Who answers for a case besides its owner: the support managers for low CSAT and
    CES, the account's CSM for NPS detractors."""
    if card.review == CaseReview.SUPPORT and rt.settings.support_managers:
        return list(rt.settings.support_managers)
    return [card.csm_user_id]


def card_channel(rt: Runtime, review: str) -> str | None:
    """Where a case's card goes: SUPPORT_CHANNEL for support reviews, else VOC_CHANNEL."""
    if review == CaseReview.SUPPORT and rt.settings.support_channel:
        return rt.settings.support_channel
    return rt.settings.voc_channel


async def release_case(
    rt: Runtime, case_id: int, user_id: str, now: datetime, team_id: str = ""
) -> bool:
    """Release the claim (its owner, the account's CSM or an admin); False when unclaimed."""
    card = await require_change(rt, case_id, user_id, team_id)
    if card.claimed_by is None:
        return False
    async with rt.db.transaction() as session:
        released = await cases.release(session=session, case_id=case_id, owner=card.claimed_by)
    if released:
        await refresh_card(rt, case_id, now)
    return released


async def log_follow_up(
    rt: Runtime,
    case_id: int,
    user_id: str,
    outcome: str,
    note: str,
    now: datetime,
    team_id: str = "",
) -> None:
    """Record what happened (each log kept); escalations stop, the card shows it."""
    errors = follow_up_errors(outcome, note)
    if errors:
        raise BadFollowUp(list(errors.values()))
    await require_change(rt, case_id, user_id, team_id)
    closes = outcome in CLOSING_OUTCOMES
    async with rt.db.transaction() as session:
        found = await cases.log_follow_up(
            session=session,
            case_id=case_id,
            user_id=user_id,
            outcome=outcome,
            note=note,
            now=now,
            closes=closes,
        )
        if found and closes:
            await webhooks.case_closed(session, settings=rt.settings, case_id=case_id, now=now)
        if found:
            await crm_push.case_logged(
                session, settings=rt.settings, case_id=case_id, closes=closes, now=now
            )
    if not found:
        raise CaseGone()
    await refresh_card(rt, case_id, now)


async def escalate_due(rt: Runtime, now: datetime) -> int:
    """Scheduler job: a thread reply on each overdue card, mentioning who should act."""
    async with rt.db.transaction() as session:
        steps = await cases.claim_escalations(
            session=session, now=now, every=ESCALATION_EVERY, max_steps=MAX_ESCALATIONS
        )
    for case_id, step in steps:
        loaded = await load_card(rt, case_id)
        if loaded is None:
            continue
        card, case = loaded
        if case.channel is None:  # never posted: there is no thread to remind in
            continue
        mention, *others = [card.claimed_by] if card.claimed_by else deputies(rt, card)
        text = escalation_text(
            card,
            step=step,
            max_steps=MAX_ESCALATIONS,
            mention=mention,
            overdue_by=now - card.answered_at,
            others=[o for o in others if o],
        )
        try:
            await rt.slack.chat_postMessage(
                channel=case.channel, thread_ts=case.message_ts, text=text
            )
        except SlackError as exc:  # at most once per step: never two reminders
            log.warning("escalation failed", extra={"case": case_id, "error": error_code(exc)})
        await refresh_card(rt, case_id, now)
    return len(steps)


async def refresh_card_for_invitation(rt: Runtime, invitation_id: int, now: datetime) -> None:
    """After a late comment: show it on the invitation's card, if it has one."""
    async with rt.db.session() as session:
        case_id = await cases.case_for_invitation(session=session, invitation_id=invitation_id)
    if case_id is not None:
        await refresh_card(rt, case_id, now)
