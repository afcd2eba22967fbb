"""Feedback as insights: logged with `/voc`, taken from survey comments, and re-themed."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from blocks.text import shorten
from bot.core.runtime import Runtime
from bot.domain import themes
from bot.domain.names import InvalidEmail, name_key, parse_email
from bot.domain.records import AccountSummary
from bot.domain.reports import LoggedInsight
from bot.domain.scales import HAPPY, MIDDLE, UNHAPPY
from bot.domain.user_errors import (
    AccountGone,
    FeatureUnnamed,
    InsightGone,
    NoSpeakerWithEmail,
    NoSuchAccount,
    NotATheme,
    SeveralAccounts,
    SpeakerNotAnEmail,
)
from bot.domain.voc_command import NAME_MAX, Draft
from bot.domain.vocabulary import SET_BY_RESPONDENT, InsightSource, InsightType, Sentiment, Theme
from bot.services import sharing
from storage import accounts, feedback, responses
from storage.models import Account, Contact, FeatureRequest, Insight, Response

log = logging.getLogger(__name__)
FEATURE_FROM_TEXT_MAX = 80  # a request named by its text keeps a readable name
CANDIDATES_SHOWN = 10

# A survey comment's type follows its strongest theme, in this order.
COMMENT_TYPES: tuple[tuple[Theme, InsightType], ...] = (
    (Theme.PRODUCT_BUG, InsightType.BUG),
    (Theme.COMPETITOR, InsightType.COMPETITOR),
    (Theme.PRICING, InsightType.PRICING),
    (Theme.SLOW_SUPPORT, InsightType.SERVICE_ISSUE),
    (Theme.UNHELPFUL_SUPPORT, InsightType.SERVICE_ISSUE),
    (Theme.DOCUMENTATION, InsightType.DOCS_GAP),
    (Theme.MISSING_FEATURE, InsightType.FEATURE_REQUEST),
    (Theme.PRAISE, InsightType.PRAISE),
)
CATEGORY_SENTIMENT: dict[str, Sentiment] = {
    **dict.fromkeys(HAPPY, Sentiment.POSITIVE),
    **dict.fromkeys(MIDDLE, Sentiment.NEUTRAL),
    **dict.fromkeys(UNHAPPY, Sentiment.NEGATIVE),
}


async def find_account(rt: Runtime, name: str) -> Account:
    """The one account `name` means (case, accents, punctuation and prefixes forgiven).

    Raises:
        UserError: no account or several match; the message lists the candidates.
    """
    key = name_key(name)
    async with rt.db.session() as session:
        found = await feedback.accounts_matching(session=session, key=key) if key else []
        if len(found) == 1:
            return found[0]
        if found:
            raise SeveralAccounts(
                shown=shorten(name, 80),
                names=[a.name for a in found[:CANDIDATES_SHOWN]],
                more=max(len(found) - CANDIDATES_SHOWN, 0),
            )
        near = await feedback.search_accounts(
            session=session, key=key.split(" ")[0] if key else "", limit=CANDIDATES_SHOWN
        )
    raise NoSuchAccount(shown=shorten(name, 80), near=[a.name for a in near] if key else [])


async def find_speaker(rt: Runtime, name: str) -> tuple[Account, Contact | None]:
    """The account a one-liner is about; an email before the colon also names who said it.

    `/voc ana@acme.com: wants SSO #feature` links the insight to Ana, so she hears when the
    request ships.

    Raises:
        UserError: a malformed or unknown email, or no / several accounts for a name.
    """
    if "@" not in name:
        return await find_account(rt, name), None
    try:
        email = parse_email(name)
    except InvalidEmail as exc:
        raise SpeakerNotAnEmail(shown=shorten(name, 80), why=str(exc)) from None
    async with rt.db.session() as session:
        contact = await accounts.get_contact_by_email(session=session, email=email)
        account = await session.get(Account, contact.account_id) if contact else None
    if contact is None or account is None:
        raise NoSpeakerWithEmail(shown=shorten(email, 80))
    return account, contact


async def suggest_accounts(rt: Runtime, typed: str) -> list[AccountSummary]:
    """Accounts for the modal's type-ahead (at most 100)."""
    async with rt.db.session() as session:
        found = await feedback.search_accounts(session=session, key=name_key(typed))
    return [accounts.summary_of(account) for account in found]


async def log_insight(
    rt: Runtime,
    *,
    account_id: int,
    draft: Draft,
    user_id: str,
    now: datetime,
    contact_id: int | None = None,
) -> LoggedInsight:
    """Store an insight with its themes and, for a feature request, its request link."""
    async with rt.db.transaction() as session:
        account = await session.get(Account, account_id)
        if account is None:
            raise AccountGone()
        request = await _request_for(session, draft, user_id, now)
        tagged = themes.tag_insight(draft.text, draft.type)
        insight = Insight(
            account_id=account_id,
            contact_id=contact_id,
            source=draft.source,
            type=draft.type,
            text=draft.text,
            sentiment=draft.sentiment or _text_sentiment(draft.text) or draft.mood,
            feature_request_id=request.id if request else None,
            competitor=(draft.competitor or "").strip() or None,
            logged_by=user_id,
            created_at=now,
        )
        insight_id = await feedback.add_insight(session=session, insight=insight, themes=tagged)
    log.info("insight logged", extra={"insight_id": insight_id, "type": str(draft.type)})
    await sharing.share_insight(rt, insight_id=insight_id, now=now)
    return _logged(insight, account.name, sorted(tagged), request)


async def load_insight(rt: Runtime, insight_id: int) -> LoggedInsight | None:
    async with rt.db.session() as session:
        insight = await session.get(Insight, insight_id)
        if insight is None:
            return None
        account = await session.get(Account, insight.account_id)
        tags = await feedback.themes_of(session=session, insight_id=insight_id)
        request = (
            await session.get(FeatureRequest, insight.feature_request_id)
            if insight.feature_request_id
            else None
        )
    name = account.name if account else "?"
    return _logged(insight, name, [t.theme for t in tags], request)


async def set_themes(
    rt: Runtime, *, insight_id: int, chosen: list[str], user_id: str, now: datetime
) -> LoggedInsight:
    """Replace an insight's themes with the ones a person chose."""
    valid = {theme.value for theme in Theme}
    unknown = [name for name in chosen if name not in valid]
    if unknown:
        raise NotATheme(unknown)
    async with rt.db.transaction() as session:
        if await session.get(Insight, insight_id) is None:
            raise InsightGone()
        await feedback.replace_themes(
            session=session, insight_id=insight_id, themes=chosen, set_by=user_id, now=now
        )
    loaded = await load_insight(rt, insight_id)
    assert loaded is not None
    return loaded


async def record_comment(
    session: AsyncSession, *, invitation_id: int, comment: str | None, now: datetime
) -> None:
    """Keep a survey comment's insight in step with it, inside the comment's transaction."""
    response = await responses.get_for_invitation(session=session, invitation_id=invitation_id)
    if response is None:
        return
    existing = await feedback.insight_for_response(session=session, response_id=response.id or 0)
    tagged = themes.tag(comment or "")
    if existing is not None:
        await _update_comment_insight(session, existing, comment, tagged, now)
        return
    if comment is None:
        return
    insight = Insight(
        account_id=response.account_id,
        contact_id=response.contact_id,
        response_id=response.id,
        source=InsightSource.SURVEY,
        type=_comment_type(tagged),
        text=comment,
        sentiment=_comment_sentiment(response, comment),
        created_at=now,
    )
    try:
        async with session.begin_nested():  # a twin submission may have added it meanwhile
            await feedback.add_insight(session=session, insight=insight, themes=tagged)
    except IntegrityError:
        twin = await feedback.insight_for_response(session=session, response_id=response.id or 0)
        if twin is not None:
            await _update_comment_insight(session, twin, comment, tagged, now)


async def record_exit_answer(
    session: AsyncSession,
    *,
    account_id: int,
    contact_id: int,
    chosen: set[Theme],
    reasons: str,
    comment: str | None,
    now: datetime,
) -> int:
    """An exit-survey answer as an insight, inside the answer's transaction; its id.

    Tagged with the themes of the reasons chosen and those the comment's words carry, the
    same rules as any survey comment, so the digest counts why customers leave.
    """
    text = comment or f"Exit survey: {reasons}"
    tagged = chosen | themes.tag(comment or "")
    insight = Insight(
        account_id=account_id,
        contact_id=contact_id,
        source=InsightSource.SURVEY,
        type=_comment_type(tagged),
        text=text,
        sentiment=(_text_sentiment(comment) if comment else None) or Sentiment.NEGATIVE,
        created_at=now,
    )
    return await feedback.add_insight(session=session, insight=insight, themes=tagged)


async def _update_comment_insight(
    session: AsyncSession, insight: Insight, comment: str | None, tagged: set[Theme], now: datetime
) -> None:
    tags = await feedback.themes_of(session=session, insight_id=insight.id or 0)
    chosen = {tag.theme for tag in tags if tag.set_by == SET_BY_RESPONDENT}
    if comment is None and not chosen:
        await feedback.replace_themes(
            session=session, insight_id=insight.id or 0, themes=[], set_by=None, now=now
        )
        await session.delete(insight)
        return
    insight.text = comment or ""  # a chosen theme keeps the insight without a comment
    insight.type = _comment_type(tagged | {Theme(theme) for theme in chosen})
    insight.sentiment = _text_sentiment(comment or "") or insight.sentiment
    # a person's choice outlives the rules; the respondent's own choice stays beside them
    if all(tag.set_by in (None, SET_BY_RESPONDENT) for tag in tags):
        await _retag(session, insight.id or 0, tagged, chosen, now)
    await session.flush()


async def _retag(
    session: AsyncSession, insight_id: int, tagged: set[Theme], chosen: set[str], now: datetime
) -> None:
    """The rules' themes, and the respondent's chosen ones marked as theirs."""
    rules = {str(theme) for theme in tagged} - chosen
    await feedback.replace_themes(
        session=session, insight_id=insight_id, themes=rules, set_by=None, now=now
    )
    for theme in sorted(chosen):
        await feedback.add_theme(
            session=session, insight_id=insight_id, theme=theme, set_by=SET_BY_RESPONDENT, now=now
        )


async def tag_chosen_theme(
    session: AsyncSession, *, response: Response, theme: Theme, now: datetime
) -> None:
    """Tag the response's insight with the theme its respondent chose ("what disappointed
    you most"), creating the insight when there is no comment yet, so the digest counts it."""
    insight = await feedback.insight_for_response(session=session, response_id=response.id or 0)
    if insight is None:
        fresh = Insight(
            account_id=response.account_id,
            contact_id=response.contact_id,
            response_id=response.id,
            source=InsightSource.SURVEY,
            type=_comment_type({theme}),
            text="",  # no comment yet: a comment later becomes its text
            sentiment=CATEGORY_SENTIMENT.get(response.category, Sentiment.NEGATIVE),
            created_at=now,
        )
        try:
            async with session.begin_nested():  # a comment may have added it meanwhile
                await feedback.add_insight(session=session, insight=fresh, themes=[])
            insight = fresh
        except IntegrityError:
            insight = await feedback.insight_for_response(
                session=session, response_id=response.id or 0
            )
    assert insight is not None and insight.id is not None
    await feedback.add_theme(
        session=session, insight_id=insight.id, theme=theme, set_by=SET_BY_RESPONDENT, now=now
    )


async def _request_for(
    session: AsyncSession, draft: Draft, user_id: str, now: datetime
) -> FeatureRequest | None:
    if draft.type != InsightType.FEATURE_REQUEST:
        return None
    name = (draft.feature or "").strip() or shorten(
        " ".join(draft.text.split()), FEATURE_FROM_TEXT_MAX
    )
    key = name_key(name)[:NAME_MAX]
    if not key:
        raise FeatureUnnamed()
    return await feedback.ensure_request(
        session=session, name=name[:NAME_MAX], key=key, created_by=user_id, now=now
    )


def _comment_type(tagged: set[Theme]) -> InsightType:
    for theme, insight_type in COMMENT_TYPES:
        if theme in tagged:
            return insight_type
    return InsightType.OTHER


def _comment_sentiment(response: Response, text: str) -> Sentiment:
    """What the words say when they lean one way, else what the score says."""
    return _text_sentiment(text) or CATEGORY_SENTIMENT.get(response.category, Sentiment.NEGATIVE)


def _text_sentiment(text: str) -> Sentiment | None:
    """The rules' sentiment of `text`, or None when the words lean neither way."""
    sentiment = themes.read(text).sentiment
    return None if sentiment == Sentiment.NEUTRAL else sentiment


def _logged(
    insight: Insight, account: str, tags: list[str], request: FeatureRequest | None
) -> LoggedInsight:
    return LoggedInsight(
        id=insight.id or 0,
        account=account,
        type=insight.type,
        source=insight.source,
        sentiment=insight.sentiment,
        text=insight.text,
        themes=tuple(tags),
        feature=request.name if request else None,
        competitor=insight.competitor,
    )
