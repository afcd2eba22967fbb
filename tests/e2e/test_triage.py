"""Triage end to end: `/voc request ID STATE`, who is told and once, `/voc theme`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.core.runtime import Runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.services import shipping
from storage.models import AuditEntry, Contact, FeatureRequest, ShipNotice, ThemeState
from tests.e2e.test_voc import _requested, ask, rows, shown
from tests.harness import SlackSender

pytestmark = pytest.mark.postgres
STAFF = "UCSM"  # Ácme's CSM: staff, not an admin


def dm_texts(emulator: SlackEmulator, user: str) -> list[str]:
    return [message["text"] for message in emulator.messages(user)]


async def _request_id(rt: Runtime) -> int:
    [request] = await rows(rt.db, FeatureRequest)
    return int(request.id or 0)


async def test_a_state_tells_who_asked_once_per_state_in_their_language(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    await _requested(rt, emulator, slack)
    async with rt.db.transaction() as session:
        await session.execute(update(Contact).values(locale="ms-MY"))  # Ana reads Malay
    number = await _request_id(rt)
    listed = shown(await ask(slack, emulator, "requests"))
    assert f"SSO* (#{number} · new)" in listed

    said = await ask(slack, emulator, f'request {number} planned "in Q3"')
    assert "is now *planned*" in shown(said) and "Told 3 new people" in shown(said)
    again = await ask(slack, emulator, f"request #{number} planned")
    assert "was already *planned*" in shown(again) and "Told 0 new people" in shown(again)
    await ask(slack, emulator, f"request {number} known issue")
    [ana_planned, ana_known] = dm_texts(emulator, "U1")
    assert "ia kini dalam perancangan" in ana_planned
    assert "Daripada pasukan kami: in Q3" in ana_planned
    assert "masalah yang diketahui" in ana_known
    [planned, known] = dm_texts(emulator, "ULOG")  # who logged it reads English
    assert "it's planned" in planned and "From the team: in Q3" in planned
    assert "known issue" in known
    kinds = sorted(n.kind for n in await rows(rt.db, ShipNotice))
    assert kinds == ["known"] * 4 + ["planned"] * 4  # UCSM2 too: Slack refused it
    [request] = await rows(rt.db, FeatureRequest)
    assert request.status == "known issue" and request.state_by == STAFF
    assert f"SSO* (#{number} · known issue)" in shown(await ask(slack, emulator, "requests"))
    detail = shown(await ask(slack, emulator, f"request {number}"))
    assert "known issue" in detail and "Globex Corp ($30,000)" in detail
    actions = [entry.action for entry in await rows(rt.db, AuditEntry)]
    assert actions.count("request state") == 3


async def test_declined_is_not_told_unless_asked(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    await _requested(rt, emulator, slack)
    number = await _request_id(rt)
    said = await ask(slack, emulator, f"request {number} declined not on our roadmap")
    assert "is now *declined*" in shown(said) and "Nobody was told" in shown(said)
    assert dm_texts(emulator, "U1") == [] and await rows(rt.db, ShipNotice) == []
    [request] = await rows(rt.db, FeatureRequest)
    assert request.state_note == "not on our roadmap"

    told = await ask(slack, emulator, f'request {number} declined --tell "not this year"')
    assert "was already *declined*" in shown(told) and "Told 3 new people" in shown(told)
    [dm] = dm_texts(emulator, "U1")
    assert "decided not to build it" in dm and "not this year" in dm
    await ask(slack, emulator, f"request {number} declined --tell")
    assert len(dm_texts(emulator, "U1")) == 1  # once per state


async def test_shipped_runs_the_ship_flow_and_the_question_a_week_later(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, clock: FakeClock
) -> None:
    rt.settings.voc_admins = ["UADMIN"]
    await _requested(rt, emulator, slack)
    number = await _request_id(rt)
    said = await ask(slack, emulator, f"request {number} shipped")
    assert "is now *shipped*" in shown(said) and "Told 3 new people" in shown(said)
    [live] = dm_texts(emulator, "U1")
    assert "You asked for *SSO* — it's live" in live
    again = await ask(slack, emulator, "ship SSO", user="UADMIN")  # the old verb agrees
    assert "already shipped" in shown(again) and "Told 0 new people" in shown(again)
    detail = shown(await ask(slack, emulator, f"request {number}"))
    assert "Impact, 90 days before vs after" in detail and "too few answers (0)" in detail
    assert f"— <@{STAFF}>" in detail  # who shipped it, and when
    clock.advance(timedelta(days=7, minutes=1))
    assert await shipping.ask_due(rt, rt.now()) == 1  # the one customer who asked
    assert "Did it solve what you needed?" in dm_texts(emulator, "U1")[-1]


async def test_bad_input_says_what_to_type(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    await _requested(rt, emulator, slack)
    number = await _request_id(rt)
    unknown = shown(await ask(slack, emulator, "request 999 planned"))
    assert "There is no request number 999" in unknown
    state = shown(await ask(slack, emulator, f"request {number} maybe later"))
    assert "`maybe later` is not a state" in state and "`under review`" in state
    not_number = shown(await ask(slack, emulator, "request SSO planned"))
    assert "`SSO` is not a request number" in not_number
    theme = shown(await ask(slack, emulator, "theme slowness fixed"))
    assert "`slowness` is not a theme" in theme
    refused = shown(await ask(slack, emulator, f"request {number} planned", user="UNOBODY"))
    assert "this is only for the customer team" in refused
    [request] = await rows(rt.db, FeatureRequest)
    assert request.status == "new" and await rows(rt.db, ShipNotice) == []


async def test_a_theme_takes_a_state(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    await _requested(rt, emulator, slack)
    said = shown(await ask(slack, emulator, 'theme slow support known issue "hiring"'))
    assert "*slow support* is now *known issue*" in said
    fixed = shown(await ask(slack, emulator, "theme slow support fixed"))
    assert "is now *fixed (shipped)*" in fixed
    assert "States: slow support: fixed" in shown(await ask(slack, emulator, "themes"))
    [state] = await rows_by_theme(rt)
    assert state.state == "shipped" and state.fixed_at is not None


async def rows_by_theme(rt: Runtime) -> list[ThemeState]:
    async with rt.db.session() as session:
        return list((await session.execute(select(ThemeState))).scalars())
