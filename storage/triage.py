"""Triage: a request's or a theme's state, the requesting accounts, the roll-up's opt-in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.vocabulary import RequestStatus
from storage.feedback import insert_ignoring_duplicates
from storage.models import Account, FeatureRequest, Insight, ThemeState


async def set_state(
    *,
    session: AsyncSession,
    request_id: int,
    state: RequestStatus,
    note: str | None,
    by: str,
    now: datetime,
) -> bool:
    """Move a request to `state` (keeping the note, who and when); False when it was there.

    Planned and shipped also keep their first time and person, as `/voc plan` and `/voc
    ship` do (storage/shipping.py).
    """
    values: dict[str, object] = {"status": state, "state_at": now, "state_by": by}
    if note:
        values["state_note"] = note
    if state == RequestStatus.PLANNED:
        values |= {"planned_at": now, "planned_by": by}
    if state == RequestStatus.SHIPPED:
        values |= {"shipped_at": now, "shipped_by": by}
    result = await session.execute(
        update(FeatureRequest)
        .where(FeatureRequest.id == request_id, FeatureRequest.status != state)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    changed = bool(result.rowcount)  # type: ignore[attr-defined]  # DML gives a CursorResult
    if not changed and note:  # the same state again: the newer note is kept
        await session.execute(
            update(FeatureRequest)
            .where(FeatureRequest.id == request_id)
            .values(state_note=note)
            .execution_options(synchronize_session=False)
        )
    return changed


async def stamp(
    *, session: AsyncSession, request_id: int, by: str, now: datetime, note: str | None
) -> None:
    """Who moved the request to its state and when (the ship flow sets the state itself)."""
    values: dict[str, object] = {"state_at": now, "state_by": by}
    if note:
        values["state_note"] = note
    await session.execute(
        update(FeatureRequest)
        .where(FeatureRequest.id == request_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def set_tell_customers(*, session: AsyncSession, request_id: int, on: bool) -> None:
    await session.execute(
        update(FeatureRequest)
        .where(FeatureRequest.id == request_id)
        .values(tell_customers=on)
        .execution_options(synchronize_session=False)
    )


async def set_theme_state(
    *,
    session: AsyncSession,
    theme: str,
    state: RequestStatus,
    note: str | None,
    by: str,
    now: datetime,
) -> bool:
    """A theme's state; False when it was in that state already (the note is updated)."""
    added = await insert_ignoring_duplicates(
        session,
        ThemeState,
        {
            "theme": theme,
            "state": state,
            "note": note,
            "changed_at": now,
            "changed_by": by,
            "fixed_at": now if state == RequestStatus.SHIPPED else None,
        },
    )
    if added:
        return True
    current = await session.get(ThemeState, theme, populate_existing=True)
    assert current is not None
    changed = current.state != state
    if changed:
        current.state, current.changed_at, current.changed_by = state, now, by
        if state == RequestStatus.SHIPPED:
            current.fixed_at = now
    if note or changed:
        current.note = note
    return changed


async def theme_states(*, session: AsyncSession) -> dict[str, ThemeState]:
    rows = await session.execute(select(ThemeState))
    return {row.theme: row for row in rows.scalars()}


async def requesting_accounts(
    *, session: AsyncSession, request_id: int
) -> list[tuple[int, str, float | None]]:
    """(account id, name, ARR) of each account that asked, highest ARR first."""
    rows = await session.execute(
        select(Account.id, Account.name, Account.arr)
        .where(
            Account.id.in_(
                select(Insight.account_id).where(Insight.feature_request_id == request_id)
            )
        )
        .order_by(Account.arr.desc().nulls_last(), Account.name)
    )
    return [(int(i), name, arr) for i, name, arr in rows.all()]


async def mentions(*, session: AsyncSession, request_id: int) -> int:
    found = await session.execute(
        select(func.count()).where(Insight.feature_request_id == request_id)
    )
    return int(found.scalar_one())


async def shipped_in(
    *, session: AsyncSession, start: datetime, end: datetime
) -> list[FeatureRequest]:
    """Requests shipped in [start, end), oldest first."""
    rows = await session.execute(
        select(FeatureRequest)
        .where(
            FeatureRequest.status == RequestStatus.SHIPPED,
            FeatureRequest.shipped_at >= start,
            FeatureRequest.shipped_at < end,
        )
        .order_by(FeatureRequest.shipped_at, FeatureRequest.id)
    )
    return list(rows.scalars())


async def themes_fixed_in(
    *, session: AsyncSession, start: datetime, end: datetime
) -> list[ThemeState]:
    rows = await session.execute(
        select(ThemeState)
        .where(
            ThemeState.state == RequestStatus.SHIPPED,
            ThemeState.fixed_at >= start,
            ThemeState.fixed_at < end,
        )
        .order_by(ThemeState.fixed_at, ThemeState.theme)
    )
    return list(rows.scalars())
