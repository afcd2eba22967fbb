"""A plain-text rendering of Block Kit, for the demo's transcript and the digest's text form."""

from __future__ import annotations

import re
from typing import Any

_LINK = re.compile(r"<([^|>]+)\|([^>]+)>")
_MENTION = re.compile(r"<([@#!])([^|>]+)>")
_EMOJI_CODE = re.compile(r":([a-z0-9_+-]+):")
# The shortcodes the app's messages use, as Slack draws them (tests/bot/devkit/test_render.py
# checks that every shortcode in the product's code is here).
_EMOJI = {
    "large_green_circle": "🟢",
    "large_yellow_circle": "🟡",
    "red_circle": "🔴",
    "white_circle": "⚪",
    "triangular_flag_on_post": "🚩",
    "calendar": "📅",
    "chart_with_upwards_trend": "📈",
    "rocket": "🚀",
    "warning": "⚠️",
    "white_check_mark": "✅",
    "rotating_light": "🚨",
    "bar_chart": "📊",
    "speech_balloon": "💬",
    "telephone_receiver": "📞",
    "lock": "🔒",
    "label": "🏷️",
}
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")


def render_blocks(blocks: list[dict[str, Any]] | None, fallback: str = "") -> str:
    """What a person reads in Slack, as lines of text; buttons become `[label]`."""
    if not blocks:
        return unescape(fallback)
    lines: list[str] = []
    for block in blocks:
        lines += _block(block)
    return "\n".join(line.rstrip() for line in lines)


def render_view(view: dict[str, Any]) -> str:
    """A modal or Home tab: title, then its blocks; inputs show their label and a box."""
    title = _text(view.get("title"))
    body = render_blocks(view.get("blocks"))
    buttons = " ".join(f"[{_text(view[k])}]" for k in ("close", "submit") if view.get(k))
    return "\n".join(part for part in (f"« {title} »" if title else "", body, buttons) if part)


def unescape(text: str) -> str:
    """Slack's mrkdwn as a person sees it: links by their label, mentions by id, no bold marks,
    emoji drawn."""
    text = _BOLD.sub(lambda m: m.group(1), text)
    text = _LINK.sub(lambda m: m.group(2), text)
    text = _MENTION.sub(lambda m: ("@" if m.group(1) in "@!" else "#") + m.group(2), text)
    text = _EMOJI_CODE.sub(lambda m: _EMOJI.get(m.group(1), m.group(0)), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _block(block: dict[str, Any]) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        return [_text(block.get("text")).upper()]
    if kind == "divider":
        return ["─" * 40]
    if kind == "section":
        lines = [_text(block.get("text"))] if block.get("text") else []
        fields = [" ".join(_text(f).split("\n")) for f in block.get("fields") or []]
        lines += [" · ".join(fields[i : i + 2]) for i in range(0, len(fields), 2)]
        if block.get("accessory"):
            lines[-1:] = [" ".join(filter(None, [*lines[-1:], _element(block["accessory"])]))]
        return lines
    if kind == "context":
        return [" · ".join(_element(e) for e in block.get("elements") or [])]
    if kind == "actions":
        return [" ".join(_element(e) for e in block.get("elements") or [])]
    if kind == "image":
        return [f"[image: {block.get('alt_text', '')}]"]
    if kind == "input":
        hint = " (optional)" if block.get("optional") else ""
        return [f"{_text(block.get('label'))}{hint}: {_element(block.get('element') or {})}"]
    if kind == "rich_text":
        return [_rich(block)]
    return []


def _element(element: dict[str, Any]) -> str:
    kind = element.get("type")
    if kind in ("mrkdwn", "plain_text"):
        return _text(element)
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    if kind == "button":
        return f"[{_text(element.get('text'))}]"
    if kind == "overflow":
        return "[…]"
    if "select" in str(kind):
        chosen = element.get("initial_option") or {}
        return f"[{_text(chosen.get('text')) or _text(element.get('placeholder')) or 'choose'} ▾]"
    if kind == "plain_text_input":
        return "[________]"
    return ""


def _text(obj: Any) -> str:
    if isinstance(obj, dict):
        return unescape(str(obj.get("text", "")))
    return unescape(str(obj or ""))


def _rich(block: dict[str, Any]) -> str:
    parts: list[str] = []
    for section in block.get("elements") or []:
        for element in section.get("elements") or []:
            parts.append(str(element.get("text", "")))
    return "".join(parts)
