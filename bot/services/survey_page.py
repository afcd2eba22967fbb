"""The survey page behind an email's links: what a token opens, and answering through it.

A link token opens one invitation. Reading never records anything (mail scanners open
every link); answering goes through bot/services/taps.py exactly as a Slack tap does, so a
response is recorded once, the webhook is queued and an unhappy score gets its #voc card.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from blocks.advocacy import OFFERS
from bot.core.runtime import Runtime
from bot.domain.outcomes import TapOutcome
from bot.domain.question_sets import FollowUpCard
from bot.domain.scales import is_promoter, scale_for
from bot.domain.vocabulary import InvitationStatus
from bot.services import advocacy, cases, email_survey, question_sets, taps, wording
from storage import cases as cases_store
from storage import erasure, responses, survey_links
from storage.models import Contact, Invitation

log = logging.getLogger(__name__)
S = InvitationStatus
COMMENT_MAX = 3000


class PageState(StrEnum):
    OPEN = "open"  # unanswered and not expired: the form
    ANSWERED = "answered"
    CLOSED = "closed"  # expired, opted out, failed
    UNKNOWN = "unknown"  # no such link
    GONE = "gone"  # deleted when its person was forgotten: 410 Gone, whatever is asked


@dataclass(frozen=True)
class SurveyPage:
    """What the page may show: the question, the scale, the first name, and the state."""

    state: PageState
    locale: str | None = None
    kind: str = "nps"
    trigger: str = "relationship"
    question: str = ""
    first_name: str | None = None
    score: int | None = None  # the recorded answer, once answered
    invitation_id: int | None = None
    offers: list[str] = field(default_factory=list)  # what a promoter may still say yes to
    review_url: str | None = None  # where a promoter may leave a review (REVIEW_URL)
    followups: FollowUpCard | None = None  # the question set's follow-ups, on the same page
    commented: bool = False  # the answer came with a comment
    case_opened: bool = False  # the answer opened a case: the CSM will be in touch

    @property
    def scores(self) -> range:
        return scale_for(self.kind).scores


async def open_link(rt: Runtime, token: str, now: datetime) -> SurveyPage:
    """The page a token opens; reading it changes nothing."""
    async with rt.db.session() as session:
        token_hash = email_survey.hash_token(token)
        found = await survey_links.find(session=session, token_hash=token_hash)
        if found is None:
            gone = await erasure.link_erased(session=session, token_hash=token_hash)
            return SurveyPage(PageState.GONE if gone else PageState.UNKNOWN)
        invitation, contact = found
        response = await responses.get_for_invitation(
            session=session, invitation_id=invitation.id or 0
        )
        case_id = await cases_store.case_for_invitation(
            session=session, invitation_id=invitation.id or 0
        )
    page = await _page(rt, invitation, contact, response.score if response else None, now)
    if response is None:
        return page
    return replace(
        page,
        commented=bool(response.comment and response.comment.strip()),
        case_opened=case_id is not None,
    )


async def _page(
    rt: Runtime, invitation: Invitation, contact: Contact, score: int | None, now: datetime
) -> SurveyPage:
    page = SurveyPage(
        PageState.OPEN,
        locale=contact.locale,
        kind=invitation.kind,
        trigger=invitation.trigger,
        question=await wording.question_for(rt, invitation, contact, escape=wording.plain),
        first_name=email_survey.first_name(contact),
        invitation_id=invitation.id,
        followups=await question_sets.card(rt, invitation, contact.locale, now),
    )
    if score is not None:
        offers = await _open_offers(rt, invitation, score)
        review = rt.settings.review_url if is_promoter(invitation.kind, score) else None
        return replace(
            page, state=PageState.ANSWERED, score=score, offers=offers, review_url=review
        )
    sent = invitation.sent_at or invitation.sending_since
    expired = sent is not None and now - sent >= rt.settings.expire_after
    if invitation.status not in taps.ANSWERABLE or expired or contact.opted_out:
        return replace(page, state=PageState.CLOSED)
    return page


async def _open_offers(rt: Runtime, invitation: Invitation, score: int) -> list[str]:
    if not is_promoter(invitation.kind, score):
        return []
    taken = await advocacy.offers_for(rt, invitation.id or 0)
    # The review is a plain link to REVIEW_URL on the page (bot/services/survey_page.py).
    return [offer for offer in OFFERS if offer not in taken and offer != "review"]


async def answer(
    rt: Runtime,
    token: str,
    *,
    score: int,
    comment: str | None,
    now: datetime,
    followups: tuple[int | None, dict[str, str]] = (None, {}),
) -> tuple[TapOutcome, SurveyPage]:
    """Record the page's answer (once), its comment and the follow-ups answered with it
    (`followups`: the set version the page showed, and question key → answer); then the
    page to show."""
    page = await open_link(rt, token, now)
    if page.state is PageState.UNKNOWN or page.invitation_id is None:
        return TapOutcome.UNKNOWN, page
    result = await taps.record_tap(
        rt,
        invitation_id=page.invitation_id,
        score=score,
        user_id=None,  # the link token proved who answers
        channel=None,
        message_ts=None,
        now=now,
    )
    if result.outcome is TapOutcome.RECORDED:
        if comment and comment.strip():
            await taps.save_comment(
                rt, invitation_id=page.invitation_id, user_id=None, comment=comment, now=now
            )
        if result.case_id is not None:
            await cases.post_card(rt, result.case_id, rt.now())
    if result.outcome is TapOutcome.RECORDED and page.followups is not None:
        await _answer_followups(rt, page.followups, *followups, now)
    return result.outcome, await open_link(rt, token, now)


async def _answer_followups(
    rt: Runtime, card: FollowUpCard, set_id: int | None, given: dict[str, str], now: datetime
) -> None:
    """The follow-ups answered on the page, each with the set version the page showed (a
    version of the set this survey asks; anything else is ignored)."""
    shown = await question_sets.version(rt, set_id) if set_id is not None else None
    if shown is None or shown.name != card.qset.name or shown.set_id is None:
        return
    for question in shown.follow_ups:
        value = given.get(question.key, "").strip()
        if value:
            await question_sets.answer(
                rt,
                invitation_id=card.invitation_id,
                set_id=shown.set_id,
                key=question.key,
                value=value,
                user_id=None,  # the link token proved who answers
                now=now,
            )


async def say_yes(rt: Runtime, token: str, *, offer: str, now: datetime) -> SurveyPage:
    """A promoter's yes to a reference or a testimonial, from the thank-you page."""
    page = await open_link(rt, token, now)
    if page.state is PageState.ANSWERED and page.invitation_id is not None:
        await advocacy.accept(
            rt, invitation_id=page.invitation_id, user_id=None, offer=offer, now=now
        )
    return await open_link(rt, token, now)


async def unsubscribe(rt: Runtime, token: str, now: datetime) -> bool:
    """Opt the link's contact out of every survey; False for an unknown token."""
    page = await open_link(rt, token, now)
    if page.invitation_id is None:
        return False
    outcome, _, _ = await taps.opt_out(rt, invitation_id=page.invitation_id, user_id=None, now=now)
    return outcome is TapOutcome.RECORDED
