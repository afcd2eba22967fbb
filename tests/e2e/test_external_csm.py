"""A Slack Connect guest named as an account's CSM reads nothing: Slack says their team."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pytest

from blocks.terminal import import_report
from bot.core.runtime import Runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.services import roles
from bot.services.importer import import_contacts
from storage.models import Account, Contact
from tests.digest_fixture import AS_OF, seed_digest
from tests.e2e.test_home import _home_of, _open_home
from tests.e2e.test_voc import CSM, ask, rows, seed, shown
from tests.harness import SlackSender, cli_env, eventually, vocbot

pytestmark = pytest.mark.postgres
PARTNER = "TPARTNER"  # another organisation, in a Slack Connect channel with ours


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(AS_OF)  # the digest fixture's week


async def test_an_external_csm_sees_no_account_data_on_app_home(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    await seed_digest(rt.db)  # UCSM1 is Acme's and Initech's CSM, UCSM2 Globex's
    emulator.add_user("UCSM1", name="Gus", team_id=PARTNER)
    emulator.add_user("UCSM2", name="Bea")  # of our own workspace, as Slack says
    assert await _open_home(slack, "UCSM1") == 200
    assert await _open_home(slack, "UCSM2") == 200
    outside = json.dumps(await eventually(lambda: _home_of(emulator, "UCSM1")))
    inside = json.dumps(await eventually(lambda: _home_of(emulator, "UCSM2")))
    assert "Globex" in inside and "Your accounts' NPS" in inside
    for secret in ("Acme", "Initech", "Globex", "+30", "n="):
        assert secret not in outside, secret
    assert "0 open, 0 overdue" in outside and "you own no accounts" in outside


async def test_voc_account_asks_slack_for_the_users_team_not_the_payload(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    await seed(rt.db)  # CSM is Ácme's CSM
    emulator.add_user(CSM, name="Gus", team_id=PARTNER)
    answer = shown(await ask(slack, emulator, "account Acme"))  # the payload says team T0001
    for secret in ("Ácme", "120,000", "Ana", "Scale"):
        assert secret not in answer, secret
    assert "only for the team that runs these surveys" in answer
    before = len(await rows(rt.db, Contact))
    logged = shown(await ask(slack, emulator, "Acme: leak me #praise"))
    assert "Saved" not in logged and len(await rows(rt.db, Contact)) == before
    emulator.add_user("UCSM2", name="Bea")  # Globex's CSM, of our own workspace
    assert "Globex Corp" in shown(await ask(slack, emulator, "account Globex Corp", user="UCSM2"))


CSV = """email,account,csm
ana@acme.test,Acme,U0GUS
ben@acme.test,Acme,U0GUS
cy@globex.test,Globex,U0BEA
dee@initech.test,Initech,U0NOBODY
"""


async def test_an_import_naming_an_external_csm_refuses_each_such_line(
    rt: Runtime, emulator: SlackEmulator
) -> None:
    emulator.add_user("U0GUS", name="Gus", team_id=PARTNER)
    emulator.add_user("U0BEA", name="Bea")
    external = partial(roles.is_external, rt)
    report = await import_contacts(db=rt.db, csv_text=CSV, now=rt.now(), external=external)
    said = import_report(report)
    assert "Nothing was imported: 2 rows have problems" in said
    line = "csm U0GUS is someone of another organisation (Slack Connect)"
    assert f"line 2: {line}" in said and f"line 3: {line}" in said
    assert "line 4" not in said and "line 5" not in said  # ours; unknown to Slack: accepted
    assert await rows(rt.db, Account) == []
    fixed = CSV.replace("U0GUS", "U0BEA")
    report = await import_contacts(db=rt.db, csv_text=fixed, now=rt.now(), external=external)
    assert not report.errors and report.contacts_created == 4


async def test_the_import_command_asks_slack_about_each_csm(
    emulator: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    emulator.add_user("U0GUS", name="Gus", team_id=PARTNER)
    (tmp_path / "contacts.csv").write_text(CSV)
    env = cli_env(api_url=emulator.api_url, database_url=database_url, home=tmp_path)
    code, _, err = await vocbot(env, "import", "contacts", "contacts.csv", cwd=tmp_path)
    assert code == 1 and "line 2: csm U0GUS is someone of another organisation" in err
    assert [c.args["user"] for c in emulator.calls_to("users.info")] == [
        "U0BEA", "U0GUS", "U0NOBODY"
    ]  # once each  # fmt: skip
