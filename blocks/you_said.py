"""Block Kit and text for "you said, we did": the monthly roll-up and the customers' note."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock, PlainTextObject

from blocks.catalog import t
from blocks.text import escape, shorten
from blocks.triage import impact_text, section
from bot.domain.triage import FixedTheme, Rollup, ShippedRequest

ACCOUNTS_SHOWN = 10


def rollup_title(rollup: Rollup) -> str:
    return f"You said, we did: {rollup.month}"


def rollup_text(rollup: Rollup) -> str:
    """The roll-up as plain text (the CLI): Slack's mrkdwn stars taken off."""
    lines = [rollup_title(rollup), ""]
    lines += [_body(rollup).replace("*", "")]
    return "\n".join(lines).rstrip() + "\n"


def rollup_blocks(rollup: Rollup) -> list[Block]:
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=rollup_title(rollup)))]
    if not rollup.shipped and not rollup.fixed:
        return blocks + [section(_nothing(rollup))]
    if rollup.shipped:
        blocks.append(section(_shipped_head(rollup)))
        blocks += [section(_shipped(item)) for item in rollup.shipped[:20]]
    if rollup.fixed:
        blocks.append(DividerBlock())
        blocks.append(section("*Fixed*"))
        blocks += [section(_fixed(item)) for item in rollup.fixed[:20]]
    return blocks


def customer_text(feature: str, month: str, locale: str | None = None) -> str:
    """The short note to a customer who asked for what shipped, in their language."""
    return t(locale, "rollup.customer", feature=escape(shorten(feature, 200)), month=month)


def _body(rollup: Rollup) -> str:
    if not rollup.shipped and not rollup.fixed:
        return _nothing(rollup)
    parts = []
    if rollup.shipped:
        parts.append(_shipped_head(rollup))
        parts += [_shipped(item) for item in rollup.shipped]
    if rollup.fixed:
        parts.append("*Fixed*")
        parts += [_fixed(item) for item in rollup.fixed]
    return "\n\n".join(parts)


def _nothing(rollup: Rollup) -> str:
    return f"Nothing was marked shipped or fixed in {rollup.month}."


def _shipped_head(rollup: Rollup) -> str:
    count = len(rollup.shipped)
    return (
        f"*Shipped* — {count} request{'s' if count != 1 else ''} "
        f"asked for by accounts worth ${rollup.arr:,.0f} ARR"
    )


def _shipped(item: ShippedRequest) -> str:
    accounts = ", ".join(
        f"{escape(shorten(name, 80))} (${arr or 0:,.0f})"
        for name, arr in item.accounts[:ACCOUNTS_SHOWN]
    )
    more = len(item.accounts) - ACCOUNTS_SHOWN
    accounts += f" and {more} more" if more > 0 else ""
    head = (
        f"• *{escape(shorten(item.feature, 200))}* (#{item.request_id}), shipped "
        f"{item.shipped_at:%Y-%m-%d} — ${item.arr:,.0f} ARR, {len(item.accounts)} accounts"
    )
    return "\n".join(
        [head, f"Asked by: {accounts or 'no account on record'}", impact_text(item.impact)]
    )


def _fixed(item: FixedTheme) -> str:
    note = f" — “{escape(shorten(item.note, 200))}”" if item.note else ""
    head = f"• *{escape(item.theme)}*, fixed {item.fixed_at:%Y-%m-%d}{note}"
    return "\n".join([head, impact_text(item.impact)])
