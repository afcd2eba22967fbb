"""What the webhook and CRM push tests share: a contact at Acme (with its CRM ids), a
delivered survey, a signed tap through /slack/events, an outcome logged through the
follow-up modal."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from blocks.ids import ActionId, BlockId, CallbackId
from bot.core.runtime import Runtime
from bot.devkit.emulator import SlackEmulator
from bot.scheduler import drain
from bot.services.surveys import start_relationship_campaign
from storage.db import Database
from storage.models import Account, Contact, FollowUpCase, Invitation, OutboxEvent
from tests.harness import SlackSender
from tests.payloads import block_action, view_submission
from tests.seed import Person, add_people


async def survey(
    rt: Runtime,
    emulator: SlackEmulator,
    *,
    contact_crm_id: str | None,
    company_crm_id: str | None,
    email: str = "ana@acme.test",
) -> Invitation:
    """One contact at Acme, the CRM's ids on both (as a sync leaves them), a delivered NPS."""
    emulator.add_user("U1", email=email, name="Ana")
    await add_people(rt.db, Person(email))
    async with rt.db.transaction() as session:
        await session.execute(update(Account).values(crm_id=company_crm_id, csm_user_id="UCSM"))
        await session.execute(update(Contact).values(crm_id=contact_crm_id))
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    await drain(rt)
    async with rt.db.session() as session:
        return (await session.execute(select(Invitation))).scalar_one()


async def tap(
    slack: SlackSender, emulator: SlackEmulator, inv: Invitation, score: int, *, user: str = "U1"
) -> None:
    payload = block_action(
        user=user,
        action_id=f"survey.rate.{score}",
        value=f"{inv.id}:{score}",
        channel=inv.dm_channel or "",
        message_ts=inv.message_ts or "",
        response_url=emulator.new_response_url(),
    )
    assert (await slack.interactive(payload))[0] == 200


async def log_outcome(slack: SlackSender, case_id: int, outcome: str, note: str) -> None:
    submission = view_submission(
        user="UA",
        callback_id=CallbackId.FOLLOW_UP_MODAL,
        private_metadata=str(case_id),
        values={
            BlockId.OUTCOME: {
                ActionId.OUTCOME_SELECT: {
                    "type": "static_select",
                    "selected_option": {"value": outcome},
                }
            },
            BlockId.NOTE: {ActionId.NOTE_INPUT: {"type": "plain_text_input", "value": note}},
        },
    )
    assert (await slack.interactive(submission))[0] == 200


async def crm_events(db: Database) -> list[OutboxEvent]:
    async with db.session() as session:
        query = select(OutboxEvent).where(OutboxEvent.sink == "crm").order_by(OutboxEvent.id)
        return list((await session.execute(query)).scalars())


async def count_crm_events(db: Database, n: int) -> bool:
    return len(await crm_events(db)) >= n


async def one(db: Database, table: Any) -> Any:
    async with db.session() as session:
        return (await session.execute(select(table))).scalar_one()


async def the_case(db: Database) -> FollowUpCase:
    return await one(db, FollowUpCase)  # type: ignore[no-any-return]
