"""Usage and support volume in: the `usage` event over real HTTP and `import usage FILE.csv`
as a real process, both all-or-nothing, and the health score reading them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.core.runtime import Runtime
from bot.devkit.emulator import SlackEmulator
from storage.db import Database
from storage.models import AccountHealth, UsageEvent
from tests.e2e.test_ingest import TOKEN, Hooks
from tests.harness import cli_env, vocbot
from tests.seed import Person, add_people

pytestmark = pytest.mark.postgres
GOOD = {
    "event": "usage",
    "account": "Acme",
    "metric": "tickets",
    "value": 3,
    "at": "2026-11-24T08:00:00Z",
}


@pytest.fixture
async def hooks(rt: Runtime, app_url: str) -> AsyncIterator[Hooks]:
    rt.settings.ingest_token = SecretStr(TOKEN)
    sender = Hooks(app_url)
    yield sender
    await sender.close()


async def _usage_rows(db: Database) -> int:
    async with db.session() as session:
        return (await session.execute(select(func.count(UsageEvent.id)))).scalar_one()


async def _post(hooks: Hooks, **fields: Any) -> tuple[int, Any]:
    body = {**GOOD, **fields}
    return await hooks.raw(json.dumps({k: v for k, v in body.items() if v is not None}).encode())


async def test_a_usage_event_is_stored_and_scores_the_account(rt: Runtime, hooks: Hooks) -> None:
    await add_people(rt.db, Person("ana@acme.test", "U1"))
    status, body = await _post(hooks)
    assert (status, body) == (202, {"stored": 1})
    assert await _usage_rows(rt.db) == 1
    async with rt.db.session() as session:
        [row] = (await session.execute(select(AccountHealth))).scalars()
    assert row.components["support"][1] == "3 tickets this week"


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"account": None}, "account", "account is missing"),
        ({"metric": "Active Users!"}, "metric", "metric is not valid"),
        ({"value": "many"}, "value", "is not a number"),
        ({"value": -1}, "value", "0 or more"),
        ({"at": "2026-11-24T08:00:00"}, "at", "has no zone"),
        ({"at": "2027-01-01T00:00:00Z"}, "at", "in the future"),
        ({"colour": "red"}, "colour", "not a field of a usage event"),
    ],
)
async def test_a_bad_usage_event_is_a_400_naming_the_field_and_stores_nothing(
    rt: Runtime, hooks: Hooks, fields: dict[str, Any], field: str, words: str
) -> None:
    await add_people(rt.db, Person("ana@acme.test", "U1"))
    status, body = await _post(hooks, **fields)
    assert status == 400 and body["field"] == field and words in body["error"]
    assert await _usage_rows(rt.db) == 0


async def test_an_unknown_account_is_a_404_and_stores_nothing(rt: Runtime, hooks: Hooks) -> None:
    status, body = await _post(hooks, account="Nobody Inc")
    assert status == 404 and "'Nobody Inc' is not imported" in body["error"]
    assert await _usage_rows(rt.db) == 0


CSV = """account,metric,value,at
Acme,active_users,120,2026-11-20
acme,tickets,4,2026-11-21T10:00:00Z
"""


async def test_import_usage_all_or_nothing_with_line_errors(
    emulator: SlackEmulator, database_url: str, db: Database, tmp_path: Path
) -> None:
    await add_people(db, Person("ana@acme.test", "U1"))
    env = cli_env(api_url=emulator.api_url, database_url=database_url, home=tmp_path)
    bad = CSV + "Acme,active_users,lots,2026-11-22\nGlobex,tickets,1,2026-11-22\n"
    (tmp_path / "bad.csv").write_text(bad)
    code, _out, err = await vocbot(env, "import", "usage", "bad.csv", cwd=tmp_path)
    assert code == 1
    assert "line 4: value 'lots' is not a number" in err and "nothing was imported" in err
    assert await _usage_rows(db) == 0
    (tmp_path / "unknown.csv").write_text(CSV + "Globex,tickets,1,2026-11-22\n")
    code, _out, err = await vocbot(env, "import", "usage", "unknown.csv", cwd=tmp_path)
    assert code == 1 and "line 4: account 'Globex' is not imported" in err
    assert await _usage_rows(db) == 0
    (tmp_path / "good.csv").write_text(CSV)
    code, out, _err = await vocbot(env, "import", "usage", "good.csv", cwd=tmp_path)
    assert code == 0 and "Imported 2 usage figures for 1 account;" in out
    assert await _usage_rows(db) == 2
