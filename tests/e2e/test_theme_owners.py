"""THEME_OWNERS end to end: new themed feedback reaches its owners once; the digest names
the themes nobody owns."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from blocks.digest import digest_text
from bot.core.runtime import Runtime
from bot.devkit.emulator import SlackEmulator
from bot.services import owners
from bot.services.digest import build_digest
from storage.models import Insight, OwnerRoute
from tests.digest_fixture import AS_OF, seed_digest
from tests.e2e.test_voc import ask, rows, seed
from tests.harness import SlackSender, cli_env, eventually, vocbot

pytestmark = pytest.mark.postgres
SLOW = "Globex Corp: support took days to answer, way too slow #service"


async def test_the_owner_is_mentioned_in_the_insight_thread_once(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    await seed(rt.db)
    rt.settings.insights_channel = "CINS"
    rt.settings.theme_owners = {"slow support": ("UOWNER", "S0SUPPORT"), "pricing": ("UPM",)}
    assert (await ask(slack, emulator, SLOW)).ok
    [post, reply] = await eventually(
        lambda: emulator.messages("CINS")[1:] and emulator.messages("CINS")
    )
    assert reply["thread_ts"] == post["ts"]
    assert reply["text"] == (
        "<@UOWNER> <!subteam^S0SUPPORT>: new feedback on *slow support*, a theme you own."
    )
    [insight] = await rows(rt.db, Insight)
    assert not await owners.route(
        rt, insight_id=insight.id or 0, now=rt.now(), thread_ts=post["ts"]
    )
    assert len(emulator.messages("CINS")) == 2  # routed once, whatever asks again
    [route] = await _routes(rt)
    assert route.routed_at is not None and route.error is None
    await ask(slack, emulator, "Globex Corp: the new dashboard is lovely #praise")
    posts = await eventually(lambda: emulator.messages("CINS")[2:])
    assert len(posts) == 1 and len(emulator.messages("CINS")) == 3  # nobody owns praise


async def test_without_an_insights_channel_the_owner_gets_a_dm(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    await seed(rt.db)
    emulator.add_user("UOWNER")
    rt.settings.theme_owners = {"slow support": ("UOWNER", "S0SUPPORT")}
    assert (await ask(slack, emulator, SLOW)).ok
    [dm] = await eventually(lambda: emulator.messages("UOWNER"))
    assert dm["text"].startswith(
        "New feedback on *slow support*, a theme you own, from *Globex Corp*"
    )
    assert "support took days to answer" in dm["text"]
    [insight] = await rows(rt.db, Insight)
    assert not await owners.route(rt, insight_id=insight.id or 0, now=rt.now())
    assert len(emulator.messages("UOWNER")) == 1


async def test_the_digest_names_themes_nobody_owns(rt: Runtime) -> None:
    """Last week: slow support, pricing and praise (tests/digest_fixture.py); pricing owned."""
    await seed_digest(rt.db)
    rt.settings.theme_owners = {"pricing": ("UPM",)}
    text = digest_text(await build_digest(rt, AS_OF))
    assert "\nThemes without an owner\n" in text
    line = next(line for line in text.splitlines() if "owned by nobody" in line)
    assert line.strip() == (
        "slow support, praise: heard last week, owned by nobody (set an owner in THEME_OWNERS)"
    )
    rt.settings.theme_owners = {"pricing": ("UPM",), "slow support": ("U1",), "praise": ("U2",)}
    assert "Themes without an owner" not in digest_text(await build_digest(rt, AS_OF))


async def _routes(rt: Runtime) -> list[OwnerRoute]:
    async with rt.db.session() as session:
        return list((await session.execute(select(OwnerRoute))).scalars())


async def test_a_bad_theme_owners_value_stops_start_up_naming_it(
    emulator: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    env = cli_env(api_url=emulator.api_url, database_url=database_url, home=tmp_path)
    code, _out, err = await vocbot(
        env | {"THEME_OWNERS": "pricing=U0AB1,slowness=U0CD2"}, "digest", cwd=tmp_path
    )
    assert code == 2
    assert err.strip().startswith("error: THEME_OWNERS='pricing=U0AB1,slowness=U0CD2' is not valid")
    assert "`slowness=U0CD2`: `slowness` is not a theme" in err
