"""The triage subcommands of `/voc` (staff): `request ID [STATE …]` and `theme THEME STATE`.

`on_voc` (handlers/slack/voc_command.py) has checked that the person is staff. The words
go to the admin verbs' grammar (bot/domain/admin_commands.py: `parse_request`,
`parse_theme`); bot/services/triage.py does the work, blocks/triage.py words the answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from slack_sdk.models.blocks import Block

from blocks import reports as report_blocks
from blocks import triage as triage_blocks
from bot.core.runtime import Runtime
from bot.domain import admin_commands
from bot.domain.admin_commands import (
    RequestShow,
    RequestStateChange,
    RequestTellCustomers,
    Words,
)
from bot.services import triage
from handlers.slack.payloads import SlashCommand

Reply = Callable[[list[Block], str], Awaitable[None]]
Command = Callable[[Runtime, SlashCommand, str, Reply], Awaitable[None]]


async def request_command(rt: Runtime, command: SlashCommand, rest: str, reply: Reply) -> None:
    asked = admin_commands.parse_request(Words.from_slack(rest))
    by, now = command.user_id, rt.now()
    if isinstance(asked, RequestShow):
        found = await triage.detail(rt, asked.request_id, now)
        await reply(triage_blocks.detail_blocks(found), f"Request #{asked.request_id}")
    elif isinstance(asked, RequestTellCustomers):
        name = await triage.tell_customers(rt, asked, user_id=by)
        text = triage_blocks.tell_customers_text(name, asked.on)
        await reply(report_blocks.notice(text), report_blocks.notice_text(text))
    elif isinstance(asked, RequestStateChange):
        report = await triage.change_state(rt, asked, user_id=by, now=now)
        await reply(
            triage_blocks.state_changed_blocks(report),
            f"Request #{report.request_id} {report.state.value}",
        )


async def theme_command(rt: Runtime, command: SlashCommand, rest: str, reply: Reply) -> None:
    change = admin_commands.parse_theme(Words.from_slack(rest))
    report = await triage.change_theme(rt, change, user_id=command.user_id, now=rt.now())
    await reply(triage_blocks.theme_changed_blocks(report), f"{report.theme}: {report.state}")


COMMANDS: dict[str, Command] = {"request": request_command, "theme": theme_command}
