"""`/voc survey` (staff): the question sets previewed in a modal, built-in templates switched
on and the sets changed as YAML; checked before the modal closes (errors by the field)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from blocks.ids import VocId
from blocks.question_sets import survey_modal
from bot.core.runtime import Runtime
from bot.domain.errors import UserError
from bot.domain.survey_file import read, to_yaml
from bot.services import question_sets, roles
from handlers.context import runtime_of
from handlers.slack.payloads import SlashCommand, ViewSubmission, parse

log = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    app.view(VocId.SURVEY_MODAL)(on_survey_submitted)


async def _survey(rt: Runtime, command: SlashCommand, rest: str, reply: Any) -> None:
    sets = await question_sets.current(rt, rt.now())
    view = survey_modal(sets, to_yaml(sets), product=rt.settings.product_name)
    await rt.slack.views_open(trigger_id=command.trigger_id, view=view.to_dict())


COMMANDS = {"survey": _survey}


async def on_survey_submitted(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
) -> None:
    """Check the YAML (each problem with its line) before the modal closes, then save."""
    submission = parse(ViewSubmission, body)
    if submission is None:
        await ack()
        return
    rt = runtime_of(context)
    view = submission.view
    written = view.typed(VocId.SURVEY_DEFINITION).strip()
    sets: dict[str, object] = {}
    if written:
        checked = read(written)
        if checked.problems:
            problems = "; ".join(str(p) for p in checked.problems)
            await ack(response_action="errors", errors={VocId.SURVEY_DEFINITION: problems[:1900]})
            return
        sets = {qset.name: qset.definition() for qset in checked.sets}
    for template in view.selected_all(VocId.SURVEY_TEMPLATES):
        sets.setdefault(template, {"trigger": template, "template": template})
    try:
        await roles.require_staff(rt, submission.user_id, submission.user_team)
        changed = await question_sets.change(
            rt, sets, by=submission.user_id, now=rt.now(), switch_off_others=bool(written)
        )
    except UserError as exc:
        await ack(response_action="errors", errors={VocId.SURVEY_DEFINITION: str(exc)[:1900]})
        return
    await ack()
    log.info("question sets changed", extra={"changed": len(changed)})
