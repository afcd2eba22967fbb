"""The admin subcommands of `/voc` (send, ship, plan, autopilot, wording, campaigns).

`on_voc` (handlers/slack/voc_command.py) has checked that the person is an admin. The
words after the verb go to the admin verbs' one grammar (bot/domain/admin_commands.py),
which the command line shares; the answers are worded by blocks/admin.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from slack_sdk.models.blocks import Block

from blocks import admin as admin_text
from blocks import reports as report_blocks
from blocks import requests as request_blocks
from bot.core.runtime import Runtime
from bot.domain import admin_commands
from bot.domain.admin_commands import (
    AdminRequest,
    AutopilotChange,
    AutopilotOn,
    CampaignCancel,
    CampaignReschedule,
    SendRequest,
    WordingReset,
    WordingSet,
    Words,
)
from bot.services import autopilot, campaigns, shipping, surveys, wording
from handlers.slack.payloads import SlashCommand

Reply = Callable[[list[Block], str], Awaitable[None]]
Command = Callable[[Runtime, SlashCommand, str, Reply], Awaitable[None]]


def request_of(verb: str, rest: str) -> AdminRequest:
    """The request `/voc VERB rest` asks for (send, autopilot, wording or campaigns)."""
    return admin_commands.parse(verb, Words.from_slack(rest))


async def send(rt: Runtime, command: SlashCommand, rest: str, reply: Reply) -> None:
    request = request_of("send", rest)
    assert isinstance(request, SendRequest)
    report = await surveys.send(rt, request, by=command.user_id, now=rt.now())
    await say(reply, admin_text.send_summary(report, "/voc "))


async def ship(rt: Runtime, command: SlashCommand, rest: str, reply: Reply) -> None:
    request = admin_commands.parse_ship(rest)
    report = await shipping.ship(
        rt, feature=request.feature, user_id=command.user_id, now=rt.now(), url=request.link
    )
    await reply(
        report_blocks.ship_blocks(report), f"{report_blocks.notice_text(report.feature)} shipped"
    )


async def plan(rt: Runtime, command: SlashCommand, rest: str, reply: Reply) -> None:
    request = admin_commands.parse_plan(rest)
    report = await shipping.plan(rt, feature=request.feature, user_id=command.user_id, now=rt.now())
    shown = request_blocks.plan_blocks(
        report.feature, report.newly_shipped, report.sent, report.already, report.failed
    )
    await reply(shown, f"{report_blocks.notice_text(report.feature)} planned")


async def autopilot_command(rt: Runtime, command: SlashCommand, rest: str, reply: Reply) -> None:
    request = request_of("autopilot", rest)
    by = command.user_id
    if isinstance(request, AutopilotOn):
        said = admin_text.autopilot_on(await autopilot.turn_on(rt, request, by=by))
    elif isinstance(request, AutopilotChange):
        said = admin_text.autopilot_changed(await autopilot.change(rt, request, by=by))
    else:
        said = admin_text.autopilot_list(await autopilot.list_autopilots(rt), "/voc ")
    await say(reply, said)


async def wording_command(rt: Runtime, command: SlashCommand, rest: str, reply: Reply) -> None:
    request = request_of("wording", rest)
    by, now = command.user_id, rt.now()
    if isinstance(request, WordingSet):
        said = admin_text.wording_saved(await wording.set_wording(rt, request, by=by, now=now))
    elif isinstance(request, WordingReset):
        said = admin_text.wording_restored(await wording.reset_wording(rt, request, by=by, now=now))
    else:
        said = admin_text.wording_table(await wording.show(rt))
    await say(reply, said)


async def campaigns_command(rt: Runtime, command: SlashCommand, rest: str, reply: Reply) -> None:
    request = request_of("campaigns", rest)
    by, now = command.user_id, rt.now()
    if isinstance(request, CampaignCancel):
        said = admin_text.campaign_cancelled(
            await campaigns.cancel(rt, request, by=by, now=now), "/voc "
        )
    elif isinstance(request, CampaignReschedule):
        said = admin_text.campaign_rescheduled(
            await campaigns.reschedule(rt, request, by=by, now=now)
        )
    else:
        said = admin_text.campaign_list(await campaigns.list_campaigns(rt), "/voc ")
    await say(reply, said)


async def say(reply: Reply, text: str) -> None:
    await reply(report_blocks.notice(text), report_blocks.notice_text(text))


COMMANDS: dict[str, Command] = {
    "send": send,
    "ship": ship,
    "plan": plan,
    "autopilot": autopilot_command,
    "wording": wording_command,
    "campaigns": campaigns_command,
}
