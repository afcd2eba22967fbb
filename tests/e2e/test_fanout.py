"""Campaign fan-out: several DMs in flight under one pacer, each survey sent exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.core.runtime import Runtime, build_runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.domain.errors import SlackConfigError
from bot.domain.vocabulary import InvitationStatus
from bot.scheduler import build_scheduler, deliver_tick, drain, tick
from bot.services import delivery
from bot.services.delivery import deliver_due
from bot.services.surveys import start_relationship_campaign
from storage.models import Invitation
from tests.harness import eventually
from tests.seed import Person, add_people

S = InvitationStatus
pytestmark = pytest.mark.postgres


async def _campaign(rt: Runtime, emulator: SlackEmulator, count: int) -> None:
    for i in range(count):
        emulator.add_user(f"U{i:03d}", email=f"c{i}@fan.test")
    await add_people(rt.db, *(Person(f"c{i}@fan.test", f"U{i:03d}") for i in range(count)))
    report = await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    assert report.created == count


def _paced(rt: Runtime, per_second: float) -> Runtime:
    """The same runtime at Slack-like pace (the fixture's is far above it), paced retries."""
    return build_runtime(
        rt.settings, db=rt.db, clock=rt.clock, sends_per_second=per_second, send_burst=1
    )


async def _invitations(rt: Runtime) -> list[Invitation]:
    async with rt.db.session() as session:
        return list((await session.execute(select(Invitation).order_by(Invitation.id))).scalars())


def _dms(emulator: SlackEmulator) -> Counter[str]:
    return Counter(c.args["channel"] for c in emulator.calls_to("chat.postMessage", ok=True))


async def test_sends_overlap_and_each_survey_goes_out_once(
    rt: Runtime, emulator: SlackEmulator, clock: FakeClock
) -> None:
    await _campaign(rt, emulator, 40)
    emulator.delay("chat.postMessage", 0.1)  # one at a time this would take 4 s
    emulator.fail_randomly("chat.postMessage", status=503, probability=0.2, seed=3)
    report = await drain(rt)
    assert emulator.peak_in_flight["chat.postMessage"] > 1  # how fast: bench/fanout.py
    # A 503'd post may be in Slack: it is looked up by its metadata before each re-post (up
    # to twice in the pass); one that keeps failing waits its backoff, then the same.
    emulator.fail_randomly("chat.postMessage", status=503, probability=0.0)
    clock.advance(timedelta(minutes=10))
    report = report + await drain(rt)
    assert report.sent == 40
    assert len(_dms(emulator)) == 40 and set(_dms(emulator).values()) == {1}
    assert len(emulator.calls_to("chat.postMessage", ok=False)) > 0  # the 503s were retried
    assert {i.status for i in await _invitations(rt)} == {S.SENT}  # nothing left `sending`


async def test_a_429_pauses_every_sender_for_retry_after(
    rt: Runtime, emulator: SlackEmulator
) -> None:
    await _campaign(rt, emulator, 6)
    paced = _paced(rt, per_second=5)  # 200 ms apart: the 429 is back before the next send
    emulator.fail("chat.postMessage", status=429, retry_after=1)
    await drain(paced)
    calls = emulator.calls_to("chat.postMessage")
    [limited] = [c for c in calls if c.status == 429]
    pause_ends = paced.pacer.paused_until  # the only 429's pause, on the emulator's clock too
    assert pause_ends >= limited.at + 1  # Retry-After paused every sender
    after = [c for c in calls if c.at > limited.at]
    assert len(after) == 6 and all(c.at >= pause_ends for c in after)  # none during the pause
    assert paced.pacer.rate < 5  # and the pace slowed down
    assert len(_dms(emulator)) == 6 and set(_dms(emulator).values()) == {1}
    assert {i.status for i in await _invitations(rt)} == {S.SENT}


async def test_a_429_on_another_method_leaves_the_survey_pace_alone(
    rt: Runtime, emulator: SlackEmulator
) -> None:
    emulator.add_user("U1", email="ana@acme.test")
    paced = _paced(rt, per_second=20)
    emulator.fail("users.info", status=429, retry_after=1)
    await paced.slack.users_info(user="U1")  # slack-sdk sleeps Retry-After in this call
    assert [c.status for c in emulator.calls_to("users.info")] == [429, 200]
    assert paced.pacer.rate == 20


async def test_a_503_does_not_hold_up_the_other_senders_and_is_retried_after_a_look_up(
    rt: Runtime, emulator: SlackEmulator
) -> None:
    await _campaign(rt, emulator, 8)
    paced = _paced(rt, per_second=20)
    emulator.fail("chat.postMessage", status=503)
    await drain(paced)
    calls = emulator.calls_to("chat.postMessage")
    order = {id(c): n for n, c in enumerate(emulator.calls)}  # in the order Slack answered
    [failed] = [c for c in calls if c.status == 503]
    assert any(order[id(failed)] < order[id(c)] for c in calls if c.ok)  # others went on
    [retry] = [
        c
        for c in emulator.calls_to("chat.postMessage")
        if c.ok and c.args["channel"] == failed.args["channel"]
    ]
    [looked] = emulator.calls_to("conversations.history")
    assert order[id(failed)] < order[id(looked)] < order[id(retry)]  # looked up first
    assert len(_dms(emulator)) == 8 and set(_dms(emulator).values()) == {1}


async def test_slack_refusing_the_bot_mid_pass_puts_unsent_rows_back(
    rt: Runtime, emulator: SlackEmulator
) -> None:
    await _campaign(rt, emulator, 3 * delivery.CLAIM)
    emulator.fail("chat.postMessage", error="invalid_auth", times=2)
    with pytest.raises(SlackConfigError):
        await deliver_due(rt, rt.now())
    rows = await _invitations(rt)
    statuses = Counter(i.status for i in rows)
    assert set(statuses) == {S.SENT, S.SCHEDULED}  # nothing `sending`, nothing failed
    assert statuses[S.SENT] == len(_dms(emulator)) < len(rows)  # a few were already in flight
    assert all(i.attempts == 0 for i in rows if i.status == S.SCHEDULED)  # as if never claimed
    await drain(rt)  # the token is fine again
    assert len(_dms(emulator)) == len(rows) and set(_dms(emulator).values()) == {1}
    assert {i.status for i in await _invitations(rt)} == {S.SENT}


async def test_a_pass_stops_at_its_limit_and_leaves_the_rest_scheduled(
    rt: Runtime, emulator: SlackEmulator
) -> None:
    await _campaign(rt, emulator, 30)
    report = await deliver_due(rt, rt.now(), limit=20)
    assert report.sent == 20
    statuses = Counter(i.status for i in await _invitations(rt))
    assert statuses == {S.SENT: 20, S.SCHEDULED: 10}


async def test_the_scheduler_delivers_beside_its_passes_in_one_fan_out(
    rt: Runtime, emulator: SlackEmulator
) -> None:
    await _campaign(rt, emulator, 3 * delivery.CLAIM)
    assert build_scheduler(rt).get_job("voc-deliver") is not None
    await tick(rt)  # the pass: cards, reminders, webhooks … but no survey DM
    assert not _dms(emulator)
    await deliver_tick(rt)  # claims until none is due, however many
    assert len(_dms(emulator)) == 3 * delivery.CLAIM and set(_dms(emulator).values()) == {1}
    assert {i.status for i in await _invitations(rt)} == {S.SENT}


async def test_a_process_shutting_down_stops_its_delivery_job_claiming(
    rt: Runtime, emulator: SlackEmulator
) -> None:
    """A deploy in the middle of a campaign: the job finishes the rows it holds, no more."""
    total = 4 * delivery.CLAIM
    await _campaign(rt, emulator, total)
    emulator.delay("chat.postMessage", 0.05)
    job = asyncio.create_task(deliver_tick(rt))
    await eventually(lambda: len(_dms(emulator)) > 0)
    rt.stopping.set()  # what stop_scheduler does first
    await asyncio.wait_for(job, timeout=30)
    statuses = Counter(i.status for i in await _invitations(rt))
    assert set(statuses) == {S.SENT, S.SCHEDULED}  # nothing left `sending`
    assert 0 < statuses[S.SENT] == len(_dms(emulator)) <= 2 * delivery.CLAIM
    assert set(_dms(emulator).values()) == {1}
