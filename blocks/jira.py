"""What VoC bot writes in Jira (an issue's Atlassian Document Format description) and what
it tells staff about a push. Jira is read by the product team in English, like the terminal.

People's words go in ADF text nodes, which Jira shows as typed (no markup is read from
them), shortened so a long verbatim cannot bury the rest; staff answers in Slack are escaped.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock

from blocks.text import escape, shorten
from bot.domain.jira import IssueDraft, PushOutcome, RequestFacts, request_label

SUMMARY = 250  # Jira's summary holds 255 characters
VERBATIM = 500
ACCOUNT_NAME = 120


def issue_draft(facts: RequestFacts, *, link: str | None) -> IssueDraft:
    """The issue a request becomes: its name as the summary, then the ARR asking, the
    accounts, what they said, and the way back to VoC bot."""
    summary = shorten(" ".join(facts.name.split()), SUMMARY) or f"Request {facts.id}"
    content: list[dict[str, Any]] = [
        _paragraph(
            _text("Requested by "),
            _text(_accounts_count(len(facts.accounts) + facts.more_accounts), "strong"),
            _text(" with "),
            _text(f"{_money(facts.arr)} ARR", "strong"),
            _text(" asking (VoC bot)."),
        ),
        _heading("Accounts"),
    ]
    accounts = [
        f"{shorten(name, ACCOUNT_NAME)} — {_money(arr) if arr else 'ARR unknown'}"
        for name, arr in facts.accounts
    ]
    if facts.more_accounts:
        accounts.append(f"and {facts.more_accounts} more")
    content.append(_bullets(accounts) if accounts else _paragraph(_text("None recorded.")))
    content.append(_heading("What they said"))
    said = [f"{shorten(name, ACCOUNT_NAME)}: “{_verbatim(text)}”" for name, text in facts.verbatims]
    content.append(_bullets(said) if said else _paragraph(_text("No verbatims recorded.")))
    back = [_text(f"VoC bot request #{facts.id}: type /voc requests in Slack")]
    if link:
        back = [_text(f"VoC bot request #{facts.id}: "), _text("open in Slack", link=link)]
    content.append(_paragraph(*back))
    return IssueDraft(
        summary=summary,
        description={"type": "doc", "version": 1, "content": content},
        labels=("voc", request_label(facts.id)),
    )


def push_text(outcome: PushOutcome) -> str:
    """The staff member's answer to `/voc request push ID` (mrkdwn; the name escaped): the
    issue's key linked when it exists, else that it is on its way."""
    name = escape(shorten(outcome.name, 80))
    if outcome.key:
        where = f"<{outcome.url}|{outcome.key}>" if outcome.url else outcome.key
        if outcome.queued:
            return f":white_check_mark: *{name}* is in Jira as {where}."
        return f"*{name}* is already in Jira ({where})."
    if outcome.queued:
        return (
            f"*{name}* is being pushed to Jira (Jira is slow to answer). "
            f"`/voc request push {outcome.request_id}` again shows its key."
        )
    return f"*{name}* is already on its way to Jira."


def push_blocks(outcome: PushOutcome) -> list[Block]:
    return [SectionBlock(text=MarkdownTextObject(text=push_text(outcome)))]


def _verbatim(text: str) -> str:
    return shorten(" ".join(text.split()), VERBATIM)


def _accounts_count(n: int) -> str:
    return "1 account" if n == 1 else f"{n} accounts"


def _money(value: float | None) -> str:
    return f"${value or 0:,.0f}"


def _text(text: str, mark: str | None = None, *, link: str | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": text}
    marks: list[dict[str, Any]] = [{"type": mark}] if mark else []
    if link:
        marks.append({"type": "link", "attrs": {"href": link}})
    if marks:
        node["marks"] = marks
    return node


def _paragraph(*nodes: dict[str, Any]) -> dict[str, Any]:
    return {"type": "paragraph", "content": [n for n in nodes if n.get("text")]}


def _heading(text: str) -> dict[str, Any]:
    return {"type": "heading", "attrs": {"level": 3}, "content": [_text(text)]}


def _bullets(items: list[str]) -> dict[str, Any]:
    return {
        "type": "bulletList",
        "content": [{"type": "listItem", "content": [_paragraph(_text(i))]} for i in items],
    }
