"""Question wording: an admin's own question per survey kind and language, filled per contact.

`python -m bot wording set|show|reset` and `/voc wording …` (admins) change the templates
(checked by bot/domain/question_text.py); each survey DM, shared-channel post and email
asks the template of its kind and the person's language, or the default one
(blocks/catalog.py), with `{first_name}`, `{product}` (PRODUCT_NAME) and `{csm_name}` filled.
A trigger with a question of its own (after a ticket, onboarding, training, renewal) keeps it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from blocks.catalog import has_own_question, language, question, question_template, t
from blocks.text import escape as slack_escape
from bot.core.config import Settings
from bot.core.runtime import Runtime
from bot.core.slack_errors import SlackError
from bot.domain import question_text
from bot.domain.admin_commands import WordingReset, WordingSet
from bot.domain.admin_results import WordingInUse, WordingRestored, WordingSaved, WordingTable
from bot.domain.cards import SharedSurveyCard, SurveyCard
from bot.domain.names import first_name
from bot.services import audit
from storage import wordings
from storage.models import Account, Contact, Invitation

log = logging.getLogger(__name__)


def plain(text: str) -> str:
    """No escaping: an email's text part (its HTML part and the page escape for HTML)."""
    return text


@dataclass
class Wordings:
    """The templates set, read once for a delivery pass; CSM names looked up once each."""

    rt: Runtime
    templates: dict[tuple[str, str], str]
    _csm_names: dict[int, str | None] = field(default_factory=dict)

    def template(self, kind: str, trigger: str, locale: str | None) -> str:
        own = self.templates.get((kind, language(locale)))
        if own is not None and not has_own_question(kind, trigger):
            return own
        return question_template(locale, kind, trigger)

    async def question(
        self,
        *,
        kind: str,
        trigger: str,
        locale: str | None,
        name: str | None,
        account_id: int | None,
        escape: Callable[[str], str] = slack_escape,
        many: bool = False,
    ) -> str:
        """The question for one person (`many`: a post to several, with no one's name)."""
        template = self.template(kind, trigger, locale)
        person = None if many else first_name(name)
        values = {
            "first_name": person
            or t(locale, "wording.first_name.many" if many else "wording.first_name"),
            "product": _product(self.rt.settings, locale),
            "csm_name": "",
        }
        if "{csm_name}" in template:
            values["csm_name"] = await self._csm_name(account_id) or t(locale, "wording.csm_name")
        return question_text.fill(template, values, escape=escape)

    async def for_contact(
        self,
        invitation: Invitation,
        contact: Contact,
        *,
        escape: Callable[[str], str] = slack_escape,
    ) -> str:
        return await self.question(
            kind=invitation.kind,
            trigger=invitation.trigger,
            locale=contact.locale,
            name=contact.name,
            account_id=contact.account_id,
            escape=escape,
        )

    async def _csm_name(self, account_id: int | None) -> str | None:
        if account_id is None:
            return None
        if account_id not in self._csm_names:
            self._csm_names[account_id] = await _csm_name(self.rt, account_id)
        return self._csm_names[account_id]


def default_question(settings: Settings, locale: str | None, kind: str, trigger: str) -> str:
    """The default question, unescaped, naming PRODUCT_NAME where the wording has {product}."""
    template = question_template(locale, kind, trigger)
    return question_text.fill(template, {"product": _product(settings, locale)}, escape=plain)


def _product(settings: Settings, locale: str | None) -> str:
    """PRODUCT_NAME, or a neutral "us" in the person's language."""
    return settings.product_name or t(locale, "wording.product")


def kept(card: SurveyCard | SharedSurveyCard) -> str | None:
    """The question a message asked, to keep on its invitations for later redraws; None
    when it was the catalog's own wording (nothing to keep)."""
    if card.question == question(card.locale, card.kind, card.trigger):
        return None
    return card.question


async def load(rt: Runtime) -> Wordings:
    async with rt.db.session() as session:
        return Wordings(rt, await wordings.all_wordings(session=session))


async def question_for(
    rt: Runtime,
    invitation: Invitation,
    contact: Contact,
    *,
    escape: Callable[[str], str] = slack_escape,
) -> str:
    """One contact's question, reading the templates afresh (emails, the survey page)."""
    return await (await load(rt)).for_contact(invitation, contact, escape=escape)


async def _csm_name(rt: Runtime, account_id: int) -> str | None:
    """The account's CSM as Slack names them; None when there is none or Slack cannot say."""
    async with rt.db.session() as session:
        account = await session.get(Account, account_id)
    if account is None or not account.csm_user_id:
        return None
    try:
        user = (await rt.slack.users_info(user=account.csm_user_id))["user"]
    except SlackError as exc:
        log.warning("CSM name look-up failed", extra={"slack_error": exc.code})
        return None
    profile = user.get("profile") or {}
    return profile.get("display_name") or profile.get("real_name") or user.get("real_name")


async def set_wording(rt: Runtime, request: WordingSet, *, by: str, now: datetime) -> WordingSaved:
    """Check and store a template, and fill it in for an example contact."""
    kind, lang = request.kind, request.lang
    text = question_text.check_template(request.template)
    async with rt.db.transaction() as session:
        await wordings.put(session=session, kind=kind, language=lang, template=text, by=by, now=now)
        await audit.record_in(
            session, actor=by, action="wording set", detail=f"{kind} {lang}", now=now
        )
    example = Wordings(rt, {(kind, lang): text})
    shown = await example.question(
        kind=kind,
        trigger="relationship",
        locale=lang,
        name="Aina Rahman",
        account_id=None,
        escape=plain,
    )
    return WordingSaved(kind, lang, text, shown)


async def reset_wording(
    rt: Runtime, request: WordingReset, *, by: str, now: datetime
) -> WordingRestored:
    kind, lang = request.kind, request.lang
    async with rt.db.transaction() as session:
        removed = await wordings.remove(session=session, kind=kind, language=lang)
        if removed:
            await audit.record_in(
                session, actor=by, action="wording reset", detail=f"{kind} {lang}", now=now
            )
    default = question_template(lang, kind, "relationship")
    return WordingRestored(kind, lang, default, bool(removed))


async def show(rt: Runtime) -> WordingTable:
    """Every kind and language: the template in use, and whether it is the default."""
    current = await load(rt)
    rows = []
    for kind in question_text.KINDS:
        for lang in question_text.LANGUAGES:
            own = current.templates.get((kind, lang))
            text = own or question_template(lang, kind, "relationship")
            rows.append(WordingInUse(kind, lang, text, own=bool(own)))
    return WordingTable(rows, question_text.known(), rt.settings.product_name)
