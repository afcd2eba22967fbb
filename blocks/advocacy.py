"""Block Kit for the advocacy offer to promoters, its answer, and the note to their CSM."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from blocks.catalog import t
from blocks.ids import ActionId, BlockId
from blocks.surveys import answered_json, to_dicts
from blocks.text import escape, shorten
from bot.domain.cards import SurveyCard
from bot.domain.scales import is_promoter

OFFERS = ("review", "reference", "testimonial")

_NAME_MAX = 200
# What the CSM is told the promoter said yes to (CSM-facing, so English only).
_CSM_OFFERS = {
    "review": "leaving a review",
    "reference": "being a reference",
    "testimonial": "giving a testimonial",
}


def advocacy_blocks(invitation_id: int, locale: str | None, review_url: str | None) -> list[Block]:
    """The thank-you to a promoter with one button per offer; no review button without a URL."""
    buttons = [
        _offer_button(offer, invitation_id, locale, review_url)
        for offer in OFFERS
        if offer != "review" or review_url
    ]
    return [
        SectionBlock(text=MarkdownTextObject(text=t(locale, "advocacy.thanks"))),
        ActionsBlock(block_id=BlockId.ADVOCACY, elements=buttons),
    ]


def advocacy_done_blocks(locale: str | None, offers: list[str]) -> list[Block]:
    """The same message after a yes: thanks, and what the promoter said yes to."""
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=t(locale, "advocacy.done"))),
    ]
    if offers:
        items = [t(locale, f"advocacy.done.{offer}") for offer in offers]
        said = t(locale, "advocacy.done.offers", offers=_join(items, t(locale, "advocacy.and")))
        blocks.append(ContextBlock(elements=[PlainTextObject(text=said)]))
    return blocks


def csm_advocacy_text(
    *, contact_name: str | None, contact_email: str, account_name: str, score: int, offer: str
) -> str:
    """The DM telling a CSM that a promoter on their account said yes to an offer."""
    email = _safe(contact_email)
    who = f"{_safe(contact_name)} ({email})" if contact_name else email
    return (
        f"{who} at {_safe(account_name)} gave NPS {score} and said yes to "
        f"{_CSM_OFFERS[offer]}. Reach out while it's warm."
    )


def _offer_button(
    offer: str, invitation_id: int, locale: str | None, review_url: str | None
) -> ButtonElement:
    return ButtonElement(
        text=t(locale, f"advocacy.{offer}"),
        action_id=f"{ActionId.ADVOCACY_PREFIX}{offer}",
        value=str(invitation_id),
        url=review_url if offer == "review" else None,
        style="primary" if offer == "review" else None,
    )


def _join(items: list[str], conjunction: str) -> str:
    """`a`, `a and b`, `a, b and c`: a list in words."""
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def _safe(text: str) -> str:
    return escape(shorten(text, _NAME_MAX))


def answered_message(card: SurveyCard, *, offers: list[str], review_url: str | None) -> list[dict]:
    """The survey DM after an answer: the score, and for promoters the advocacy offer."""
    blocks = answered_json(card)
    if not is_promoter(card.kind, card.score):
        return blocks
    extra = (
        advocacy_done_blocks(card.locale, offers)
        if offers
        else advocacy_blocks(card.invitation_id, card.locale, review_url)
    )
    return blocks + to_dicts(extra)
