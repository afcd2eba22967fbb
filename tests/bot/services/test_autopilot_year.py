"""A year of autopilot for 2,000 contacts on an injected clock, planned by two processes.

The scheduler's planning pass is called directly, day after day; one of the two
"processes" (two runtimes, two engines on one database) is restarted half-way, and on
some days both plan the same autopilot at once. The checks are written from the rules,
not from bot/domain/cadence.py: Tue–Thu, 09:00–11:00 local, never in the last three
business days of a month, once per contact per period, an even daily volume.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.core.config import Settings
from bot.core.runtime import Runtime, build_runtime
from bot.devkit.clock import FakeClock
from bot.domain.admin_commands import AutopilotOn
from bot.domain.vocabulary import SurveyKind
from bot.services import autopilot
from storage.db import Database
from storage.models import Autopilot, AutopilotAsk, Contact, Invitation
from tests.seed import Person, add_people

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

START = datetime(2027, 1, 4, 0, 0, tzinfo=UTC)  # a Monday
ZONES = ("America/New_York", "Europe/Berlin", "Asia/Tokyo", None)
EVERY = 90
FIRST_BATCH = 1990
LATE_JOINERS = 10  # added on day 100: new contacts join by themselves


def _people(start: int, count: int) -> list[Person]:
    return [
        Person(
            email=f"p{n}@co{n % 40}.test",
            slack_user_id=f"U{n:05d}",
            account=f"Co{n % 40}",
            segment="enterprise",
            tz=ZONES[n % len(ZONES)],
        )
        for n in range(start, start + count)
    ]


def _last_business_days(day: date) -> set[date]:
    """The last three weekdays of the day's month, counted here independently."""
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    found: set[date] = set()
    cursor = following - timedelta(days=1)
    while len(found) < 3:
        if cursor.weekday() < 5:
            found.add(cursor)
        cursor -= timedelta(days=1)
    return found


def _runtime(url: str, clock: FakeClock) -> Runtime:
    return build_runtime(Settings(database_url=url), db=Database(url), clock=clock)


async def _both_plan_at_once(first: Runtime, second: Runtime, now: datetime) -> None:
    """Make the planning due for both and run both together (the claim lets one in)."""
    async with first.db.transaction() as session:
        await session.execute(update(Autopilot).values(next_plan_at=now))
    await asyncio.gather(autopilot.plan_due(first, now), autopilot.plan_due(second, now))
    rows = await _plan_rows(first)
    # and the unique turn itself: both plan the same rows with no claim in between
    await asyncio.gather(*(autopilot._plan(rt, row, now) for rt in (first, second) for row in rows))


async def _plan_rows(rt: Runtime) -> list[Autopilot]:
    async with rt.db.session() as session:
        return list((await session.execute(select(Autopilot))).scalars())


async def test_a_year_of_autopilot_asks_everyone_once_per_period_in_the_window(
    database_url: str, db: Database
) -> None:
    clock = FakeClock(START)
    await add_people(db, *_people(0, FIRST_BATCH))
    async with db.transaction() as session:  # a few opted out: skipped, never sent
        await session.execute(update(Contact).where(Contact.id % 97 == 0).values(opted_out=True))
    first, second = _runtime(database_url, clock), _runtime(database_url, clock)
    view = await autopilot.turn_on(first, AutopilotOn(SurveyKind.NPS, every_days=EVERY))
    assert view.every_days == EVERY

    for day in range(366):
        now = clock.current
        if day == 100:
            await add_people(db, *_people(FIRST_BATCH, LATE_JOINERS))
        if day == 180:  # the first process restarts
            await first.db.dispose()
            first = _runtime(database_url, clock)
        if day % 29 == 3:
            await _both_plan_at_once(first, second, now)
        else:
            runner = (first, second)[day % 2]
            await autopilot.plan_due(runner, now)
            await autopilot.plan_due(runner, now)  # a second pass within the hour: nothing
        clock.advance(timedelta(days=1))

    async with db.session() as session:
        rows = (
            await session.execute(
                select(Invitation, Contact.tz, Contact.opted_out, AutopilotAsk.period)
                .join(Contact, Contact.id == Invitation.contact_id)
                .join(AutopilotAsk, AutopilotAsk.invitation_id == Invitation.id)
            )
        ).all()
        turns = (await session.execute(select(AutopilotAsk.contact_id, AutopilotAsk.period))).all()
    await first.db.dispose()
    await second.db.dispose()

    # one turn per contact and period, and one invitation per turn
    assert len(turns) == len(set(turns))
    assert len(rows) == len(turns)
    full_periods = range(366 // EVERY)
    per_contact = Counter(contact for contact, period in turns if period in full_periods)
    assert len(per_contact) == FIRST_BATCH + LATE_JOINERS
    originals = {c: n for c, n in per_contact.items() if c <= FIRST_BATCH}
    assert set(originals.values()) == {len(full_periods)}
    assert all(n >= len(full_periods) - 1 for n in per_contact.values())  # late: from period 1

    volume: Counter[date] = Counter()
    for invitation, tz, opted_out, period in rows:
        if opted_out:
            assert (invitation.status, invitation.skip_reason) == ("skipped", "opted out")
            continue
        assert invitation.status == "scheduled"
        local = invitation.due_at.astimezone(ZoneInfo(tz) if tz else UTC)
        # inside its period, give or take the day the zone moves it
        period_start = START.date() + timedelta(days=period * EVERY)
        assert period_start - timedelta(days=1) <= local.date()
        assert local.date() < period_start + timedelta(days=EVERY + 1)
        assert local.weekday() in (1, 2, 3)
        assert time(9, 0) <= local.time() < time(11, 0)
        assert local.date() not in _last_business_days(local.date())
        assert invitation.created_at <= invitation.due_at  # made ahead, never late
        volume[local.date()] += 1

    # a drip, not one big send: every send day carries about the same load
    full_days = [d for d in volume if d < START.date() + timedelta(days=len(full_periods) * EVERY)]
    mean = sum(volume[d] for d in full_days) / len(full_days)
    assert all(abs(volume[d] - mean) <= 0.2 * mean for d in full_days), (
        mean,
        sorted(volume[d] for d in full_days)[:3],
        sorted(volume[d] for d in full_days)[-3:],
    )
    gaps = defaultdict(list)
    for invitation, _tz, opted_out, _period in sorted(rows, key=lambda r: r[0].due_at):
        if not opted_out:
            gaps[invitation.contact_id].append(invitation.due_at)
    # each contact keeps its place in the period: asks come about every 90 days
    for dues in gaps.values():
        for before, after in zip(dues, dues[1:], strict=False):
            assert timedelta(days=EVERY - 14) <= after - before <= timedelta(days=EVERY + 14)
