"""`/voc request …` (staff): `push ID` sends feature request ID to Jira as one issue; every
other form (`request ID [STATE [note]]`, `tell-customers`) is triage's (voc_triage.py).

`on_voc` (handlers/slack/voc_command.py) has checked that the person is staff. The answer
names the issue's key with a link once it exists, or says the request is already in Jira.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from slack_sdk.models.blocks import Block

from blocks import jira as jira_words
from bot.core.runtime import Runtime
from bot.domain.admin_commands import parse_request_push
from bot.services import jira_push
from handlers.slack import voc_triage
from handlers.slack.payloads import SlashCommand

Reply = Callable[[list[Block], str], Awaitable[None]]


async def request_command(rt: Runtime, command: SlashCommand, rest: str, reply: Reply) -> None:
    asked = parse_request_push(rest)
    if asked is None:  # `request ID …`: a state, the details, tell-customers
        await voc_triage.request_command(rt, command, rest, reply)
        return
    outcome = await jira_push.push(
        rt, request_id=asked.request_id, user_id=command.user_id, now=rt.now()
    )
    await reply(jira_words.push_blocks(outcome), jira_words.push_text(outcome))
