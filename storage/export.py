"""The responses export: one streamed query, rows read a batch at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.vocabulary import DeliveryChannel
from storage.models import Account, AccountHealth, Contact, Invitation, Response

BATCH = 1000

EXPORT_COLUMNS = (
    Response.id.label("response_id"),
    Response.answered_at,
    Response.kind,
    Invitation.trigger,
    # how the survey reached them; rows from before channels were recorded were all DMs
    func.coalesce(Invitation.channel, DeliveryChannel.SLACK.value).label("channel"),
    Response.score,
    Response.category,
    Response.comment,
    Contact.email.label("contact_email"),
    Contact.name.label("contact_name"),
    Account.name.label("account"),
    Account.crm_id.label("account_crm_id"),
    Account.segment,
    Account.industry,
    Account.plan,
    Account.arr,
    Account.customer_since,
    Account.health.label("crm_health"),  # the label imported from the CSV or the CRM
    Account.csm_user_id,
    # from the ticket event that asked (transactional surveys)
    Response.agent,
    Response.issue_type,
    # the account's newest health score and its change over the week before
    AccountHealth.score.label("health_score"),
    AccountHealth.change.label("health_change"),
)
FIELDS = tuple(column.key for column in EXPORT_COLUMNS)
_NEWEST = (
    select(AccountHealth.account_id, func.max(AccountHealth.week).label("week"))
    .group_by(AccountHealth.account_id)
    .subquery()
)


async def stream_responses(*, engine: AsyncEngine) -> AsyncIterator[dict[str, Any]]:
    """Every response with its contact and account, oldest first, never all in memory.

    A server-side cursor on PostgreSQL; on SQLite the driver steps through the result.
    """
    query = (
        select(*EXPORT_COLUMNS)
        .join(Invitation, Invitation.id == Response.invitation_id)
        .join(Contact, Contact.id == Response.contact_id)
        .join(Account, Account.id == Response.account_id)
        .outerjoin(_NEWEST, _NEWEST.c.account_id == Account.id)
        .outerjoin(
            AccountHealth,
            and_(AccountHealth.account_id == Account.id, AccountHealth.week == _NEWEST.c.week),
        )
        .order_by(Response.id)
        .execution_options(yield_per=BATCH)
    )
    async with engine.connect() as connection:
        result = await connection.stream(query)
        async for row in result.mappings():
            yield dict(row)
