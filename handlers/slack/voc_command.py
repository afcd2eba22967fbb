"""Listeners for `/voc`: the command, the account type-ahead, the modals, "Edit themes"."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.models.blocks import Block
from slack_sdk.webhook.async_client import AsyncWebhookClient

from blocks import feedback as feedback_blocks
from blocks import reports as report_blocks
from blocks import requests as request_blocks
from blocks.ids import EDIT_THEMES_ACTION, ActionId, VocId
from blocks.surveys import to_dicts
from bot.core.runtime import Runtime
from bot.core.slack_errors import SlackError
from bot.domain import voc_command
from bot.domain.errors import UserError, VocError
from bot.domain.reports import LoggedInsight
from bot.domain.roles import logs_feedback
from bot.domain.voc_command import Draft
from bot.domain.vocabulary import InsightSource, InsightType, Sentiment
from bot.services import (
    insights,
    replays,
    reports,
    roles,
    shipping,
)
from handlers.context import parse_int, runtime_of
from handlers.slack import voc_admin, voc_request, voc_survey, voc_triage
from handlers.slack.listeners import after_ack, after_submit
from handlers.slack.payloads import (
    BlockAction,
    BlockSuggestion,
    SlashCommand,
    View,
    ViewSubmission,
    parse,
)

log = logging.getLogger(__name__)
Reply = Callable[[list[Block], str], Awaitable[None]]
_FIELDS = {"text": VocId.TEXT, "feature": VocId.FEATURE, "competitor": VocId.COMPETITOR}


def register(app: AsyncApp) -> None:
    app.command("/voc")(on_voc)
    app.options(VocId.ACCOUNT)(on_account_typed)
    app.action(VocId.TYPE)(after_ack(on_type_chosen))
    app.view(VocId.LOG_MODAL)(on_log_submitted)
    app.action(EDIT_THEMES_ACTION)(after_ack(on_edit_themes))
    app.view(VocId.THEMES_MODAL)(after_submit(on_themes_submitted))
    app.action(ActionId.LOG_FEEDBACK)(after_ack(on_log_feedback))
    voc_survey.register(app)


async def on_voc(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    respond: AsyncRespond,
    request: AsyncBoltRequest,
) -> None:
    """Ack at once; everything else (database, Slack) happens after.

    An identically signed replay of a request already handled is acked and ignored.
    """
    await ack()
    command = parse(SlashCommand, body)
    if command is None:
        return
    rt = runtime_of(context)
    async with rt.after_ack():
        if not await replays.first_time(rt, *_signed(request), rt.now()):
            log.info("replayed /voc request ignored")
            return
        reply = _ephemeral(respond)
        verb, rest = voc_command.split_command(command.text)
        try:  # the person's own team (Slack's users.info), not where they typed it
            team = await roles.team_of(rt, command.user_id, said=command.team_id)
            if verb in STAFF_VERBS:
                await roles.require_staff(rt, command.user_id, team)
            elif verb in ADMIN_VERBS:
                await roles.require_admin(rt, command.user_id, team, verb=verb)
            else:
                await roles.require_member(rt, command.user_id, team)
            if not verb and not rest:
                await _open_log_modal(rt, command.trigger_id, command.response_url, reply)
            else:
                await COMMANDS.get(verb, _log_line)(rt, command, rest, reply)
        except SlackError:
            raise  # a call Slack refused: the error handler says it did not save (errors.py)
        except VocError as exc:  # a mistake, a refused setup or an outage: all said as a note
            blocks = (
                report_blocks.refusal(str(exc), rest)
                if not verb
                else report_blocks.notice(str(exc))
            )
            await reply(blocks, report_blocks.notice_text(str(exc)))


async def on_log_feedback(rt: Runtime, action: BlockAction, respond: AsyncRespond) -> None:
    """App Home's "Log feedback" button: the same form as `/voc` alone."""
    reply = _to_origin(rt, action.user_id, {})
    try:
        await roles.require_member(rt, action.user_id, action.user_team, action.user.locale)
    except UserError as exc:
        await reply(report_blocks.notice(str(exc)), str(exc))
        return
    await _open_log_modal(rt, action.trigger_id, action.response_url, reply)


async def on_account_typed(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    """Answer the type-ahead within Slack's 3 s: the ack carries the options."""
    suggestion = parse(BlockSuggestion, body)
    if suggestion is None:
        await ack(options=[])
        return
    rt = runtime_of(context)
    if not logs_feedback(await roles.role(rt, suggestion.user.id, suggestion.user_team)):
        await ack(options=[])  # another organisation's people see no account names
        return
    accounts = await insights.suggest_accounts(rt, suggestion.value)
    await ack(options=feedback_blocks.account_options(accounts))


async def on_type_chosen(rt: Runtime, action: BlockAction, respond: AsyncRespond) -> None:
    """Redraw the modal with the field the chosen type needs (what was typed is kept)."""
    view = action.view
    if view is None:
        return
    modal = feedback_blocks.log_modal(view.private_metadata, action.selected or None)
    try:
        await rt.slack.views_update(view_id=view.id, hash=view.hash, view=modal.to_dict())
    except SlackError as exc:  # e.g. hash_conflict: the person changed it again
        log.info("modal not redrawn", extra={"error": exc.code})


async def on_log_submitted(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    """Check the form (errors next to the fields), then store and confirm after the ack."""
    submission = parse(ViewSubmission, body)
    if submission is None:
        await ack()  # nothing to check it against: the modal just closes
        return
    rt = runtime_of(context)
    view = submission.view
    account_id = parse_int(view.selected(VocId.ACCOUNT)) or 0
    draft = _draft(view, account_id)
    problems = voc_command.draft_errors(draft.type, draft.text, draft.feature, draft.competitor)
    errors = {str(_FIELDS[field]): message for field, message in problems.items()}
    if not account_id:
        errors[VocId.ACCOUNT] = "Choose the account: type part of its name."
    if not view.selected(VocId.TYPE):
        errors[VocId.TYPE] = "Choose what kind of feedback this is."
    shown = view.block_ids
    for block in [b for b in errors if shown and b not in shown]:  # say it next to the type
        errors[VocId.TYPE] = errors.pop(block)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    async with rt.after_ack():
        user = submission.user_id
        reply = _to_origin(rt, user, _metadata(view))
        try:
            await roles.require_member(rt, user, submission.user_team, submission.user.locale)
            logged = await insights.log_insight(
                rt, account_id=account_id, draft=draft, user_id=user, now=rt.now()
            )
        except UserError as exc:
            await reply(report_blocks.notice(str(exc)), report_blocks.notice_text(str(exc)))
            return
        await _confirm(reply, logged)


async def on_edit_themes(rt: Runtime, action: BlockAction, respond: AsyncRespond) -> None:
    try:
        await roles.require_staff(rt, action.user_id, action.user_team, action.user.locale)
    except UserError as exc:
        await _ephemeral(respond)(report_blocks.notice(str(exc)), str(exc))
        return
    insight_id = parse_int(action.value) or 0
    loaded = await insights.load_insight(rt, insight_id)
    if loaded is None:
        await _ephemeral(respond)(report_blocks.notice("That insight no longer exists."), "Gone")
        return
    metadata = json.dumps({"insight": insight_id, "response_url": action.response_url})
    view = feedback_blocks.themes_modal(loaded, metadata)
    await rt.slack.views_open(trigger_id=action.trigger_id, view=view.to_dict())


async def on_themes_submitted(rt: Runtime, submission: ViewSubmission) -> None:
    user = submission.user_id
    metadata = _metadata(submission.view)
    chosen = submission.view.selected_all(VocId.THEMES)
    reply = _to_origin(rt, user, metadata)
    try:
        await roles.require_staff(rt, user, submission.user_team, submission.user.locale)
        updated = await insights.set_themes(
            rt,
            insight_id=parse_int(metadata.get("insight")) or 0,
            chosen=chosen,
            user_id=user,
            now=rt.now(),
        )
    except UserError as exc:
        await reply(report_blocks.notice(str(exc)), report_blocks.notice_text(str(exc)))
        return
    await _confirm(reply, updated, title="Themes updated")


# the subcommands: each turns its arguments into one service call and an answer


async def _log_line(rt: Runtime, command: SlashCommand, rest: str, reply: Reply) -> None:
    draft = voc_command.parse_line(rest)
    account, contact = await insights.find_speaker(rt, draft.account)
    logged = await insights.log_insight(
        rt,
        account_id=account.id or 0,
        draft=draft,
        user_id=command.user_id,
        now=rt.now(),
        contact_id=contact.id if contact else None,
    )
    await _confirm(reply, logged)


async def _help(rt: Runtime, command: SlashCommand, rest: str, reply: Reply) -> None:
    await reply(report_blocks.help_blocks(), "What you can do with /voc")


async def _account(rt: Runtime, command: SlashCommand, rest: str, reply: Reply) -> None:
    found = await reports.account_timeline(rt, rest)
    await reply(report_blocks.timeline_blocks(found, now=rt.now()), "Account timeline")


async def _themes(rt: Runtime, command: SlashCommand, rest: str, reply: Reply) -> None:
    report = await reports.themes(rt, voc_command.parse_period(rest), rt.now())
    await reply(report_blocks.themes_blocks(report), "Top themes")


async def _requests(rt: Runtime, command: SlashCommand, rest: str, reply: Reply) -> None:
    ranked = report_blocks.requests_blocks(await reports.requests(rt))
    shipped = request_blocks.outcome_blocks(await shipping.outcomes(rt))
    await reply(ranked + shipped, "Feature requests")


async def _nps(rt: Runtime, command: SlashCommand, rest: str, reply: Reply) -> None:
    await reply(report_blocks.nps_blocks(await reports.nps(rt, rest, rt.now())), "NPS")


# Subcommands that show account data: staff only (bot/domain/roles.py).
STAFF_VERBS = frozenset(
    {"account", "themes", "requests", "nps", *voc_triage.COMMANDS, *voc_survey.COMMANDS}
)
# Subcommands that start, change or announce things: admins only (VOC_ADMINS).
ADMIN_VERBS = frozenset(voc_admin.COMMANDS)
COMMANDS: dict[str, Callable[[Runtime, SlashCommand, str, Reply], Awaitable[None]]] = {
    "help": _help,
    "account": _account,
    "themes": _themes,
    "requests": _requests,
    "nps": _nps,
    **voc_admin.COMMANDS,
    **voc_triage.COMMANDS,
    "request": voc_request.request_command,  # `request push ID` (Jira), else triage's
    **voc_survey.COMMANDS,
}


async def _open_log_modal(
    rt: Runtime, trigger_id: str, response_url: str | None, reply: Reply
) -> None:
    metadata = json.dumps({"response_url": response_url})
    try:
        await rt.slack.views_open(
            trigger_id=trigger_id, view=feedback_blocks.log_modal(metadata).to_dict()
        )
    except SlackError as exc:  # e.g. expired_trigger_id when Slack was slow to deliver
        log.warning("log modal not opened", extra={"error": exc.code})
        text = (
            f"The form did not open. Type `/voc` again, or log in one line: `{voc_command.USAGE}`"
        )
        await reply(report_blocks.notice(text), report_blocks.notice_text(text))


async def _confirm(reply: Reply, logged: LoggedInsight, *, title: str = "Saved") -> None:
    await reply(
        feedback_blocks.confirmation(logged, title=title), feedback_blocks.confirmation_text(logged)
    )


def _ephemeral(respond: AsyncRespond) -> Reply:
    async def reply(blocks: list[Block], text: str) -> None:
        await respond(
            text=text, blocks=to_dicts(blocks), response_type="ephemeral", replace_original=False
        )

    return reply


def _to_origin(rt: Runtime, user: str, metadata: dict[str, Any]) -> Reply:
    """Answer where `/voc` was typed (its response_url), else in a DM."""
    url = metadata.get("response_url")

    async def reply(blocks: list[Block], text: str) -> None:
        if isinstance(url, str) and url:
            response = await AsyncWebhookClient(url).send(
                text=text, blocks=to_dicts(blocks), response_type="ephemeral"
            )
            if response.status_code == 200:
                return
            log.info(
                "response_url refused; answering in a DM", extra={"status": response.status_code}
            )
        try:
            await rt.slack.chat_postMessage(channel=user, text=text, blocks=to_dicts(blocks))
        except SlackError as exc:
            log.warning("could not confirm", extra={"error": exc.code})

    return reply


def _signed(request: AsyncBoltRequest) -> tuple[str, str]:
    """The request's Slack timestamp and signature ("" over Socket Mode)."""
    headers = request.headers
    timestamp = (headers.get("x-slack-request-timestamp") or [""])[0]
    signature = (headers.get("x-slack-signature") or [""])[0]
    return str(timestamp), str(signature)


def _metadata(view: View) -> dict[str, Any]:
    """The JSON object a modal carries in private_metadata; {} when it is not one."""
    try:
        found = json.loads(view.private_metadata or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _draft(view: View, account_id: int) -> Draft:
    """The "Log feedback" form's fields as a Draft (checked by the caller)."""
    return Draft(
        account=str(account_id),
        text=view.typed(VocId.TEXT),
        type=_choice(InsightType, view.selected(VocId.TYPE), InsightType.OTHER),
        source=_choice(InsightSource, view.selected(VocId.SOURCE), InsightSource.CALL),
        sentiment=_choice(Sentiment, view.selected(VocId.SENTIMENT), None),
        feature=view.typed(VocId.FEATURE).strip() or None,
        competitor=view.typed(VocId.COMPETITOR).strip() or None,
    )


def _choice(kind: Any, value: str, default: Any) -> Any:
    try:
        return kind(value)
    except ValueError:
        return default
