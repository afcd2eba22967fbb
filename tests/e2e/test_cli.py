"""The README's path as a new user walks it: real `python -m bot` processes and the emulator."""

from __future__ import annotations

import asyncio
import json
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.core.config import Settings
from bot.core.runtime import build_runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.domain.vocabulary import InvitationStatus
from bot.scheduler import drain
from storage.db import Database
from storage.models import Contact, Invitation, Response
from tests.harness import (
    BOT_TOKEN,
    TEST_SEND_BURST,
    TEST_SENDS_PER_SECOND,
    SlackSender,
    cli_env,
    eventually,
    start_vocbot,
    vocbot,
)
from tests.payloads import block_action

CSV = """Email,Account,Name,Segment,ARR,Customer_Since,Health,CSM,Slack_User_ID
ana@acme.test,Acme,Ana,enterprise,120000,2023-04-01,green,UCSM1,
ben@acme.test,Acme,Ben,enterprise,120000,2023-04-01,green,UCSM1,
cy@globex.test,Globex,Cy,smb,9000,2025-01-15,yellow,UCSM2,U0CY
"""


@pytest.fixture
async def emulator() -> SlackEmulator:  # type: ignore[misc]
    async with SlackEmulator() as running:
        running.add_user("U0ANA", email="ana@acme.test", tz="Asia/Kuala_Lumpur")
        running.add_user("U0BEN", email="ben@acme.test", tz="Europe/London")
        running.add_user("U0CY", email="cy@globex.test", tz="America/New_York")
        yield running


@pytest.fixture
def env(emulator: SlackEmulator, database_url: str, tmp_path: Path) -> dict[str, str]:
    return cli_env(api_url=emulator.api_url, database_url=database_url, home=tmp_path)


async def _count(database_url: str, model: type) -> int:
    db = Database(database_url)
    async with db.session() as session:
        count = (await session.execute(select(func.count(model.id)))).scalar_one()
    await db.dispose()
    return count


async def test_import_send_deliver_and_tap_as_the_readme_says(
    emulator: SlackEmulator, env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    (tmp_path / "contacts.csv").write_text(CSV)
    code, out, err = await vocbot(env, "import", "contacts", "contacts.csv", cwd=tmp_path)
    assert code == 0, err
    assert "Imported 3 contacts" in out

    code, out, err = await vocbot(env, "send", "nps", "--now", cwd=tmp_path)
    assert code == 0, err
    assert "Created 3 invitations" in out and "Skipped" not in out  # nobody was skipped

    code, out, err = await vocbot(env, "run-due", cwd=tmp_path)
    assert code == 0, err
    assert "sent: 3" in out
    assert sorted(c.args["channel"] for c in emulator.calls_to("chat.postMessage")) == [
        "U0ANA",
        "U0BEN",
        "U0CY",
    ]

    server = await start_vocbot(
        env,
        tmp_path,
        "serve",
        "--no-scheduler",
        "--port",
        "0",
        stderr=None,  # inherited: the test reads only the server's first stdout line
    )
    try:
        assert server.stdout is not None
        line = (await asyncio.wait_for(server.stdout.readline(), 60)).decode()
        url = line.split()[-1].replace("0.0.0.0", "127.0.0.1").removesuffix("/slack/events")
        slack = SlackSender(url)
        try:
            async with slack.session.get(url + "/healthz") as health:
                assert health.status == 200 and (await health.json())["ok"] is True
            message = emulator.messages("U0ANA")[0]
            invitation_id = message["metadata"]["event_payload"]["invitation_id"]
            tap = block_action(
                user="U0ANA",
                action_id="survey.rate.10",
                value=f"{invitation_id}:10",
                channel=message["channel"],
                message_ts=message["ts"],
                response_url=emulator.new_response_url(),
            )
            assert (await slack.interactive(tap))[0] == 200
            assert (await slack.interactive(tap))[0] == 200  # a double tap
            await eventually(lambda: emulator.calls_to("chat.update", ok=True), timeout=20)
            await eventually(lambda: emulator.calls_to("response_url"), timeout=20)
        finally:
            await slack.close()
    finally:
        server.send_signal(signal.SIGTERM)
        await asyncio.wait_for(server.wait(), 30)
    assert server.returncode == 0
    assert "*10*" in json.dumps(emulator.messages("U0ANA")[0]["blocks"])
    assert await _count(database_url, Response) == 1


async def test_a_bad_csv_imports_nothing_and_says_which_lines(
    env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    bad = CSV.replace("smb", "tiny").replace("ben@acme.test", "not-an-email")
    (tmp_path / "contacts.csv").write_text(bad)
    code, out, err = await vocbot(env, "import", "contacts", "contacts.csv", cwd=tmp_path)
    assert code == 1
    assert "Nothing was imported" in err
    assert "line 3" in err and "line 4" in err
    assert await _count(database_url, Contact) == 0
    code, _, err = await vocbot(env, "import", "contacts", "missing.csv", cwd=tmp_path)
    assert code == 1 and "Cannot read missing.csv" in err


async def test_send_with_an_unknown_kind_or_no_contacts_says_what_to_do(
    env: dict[str, str], tmp_path: Path
) -> None:
    code, _, err = await vocbot(env, "send", "nsp", "--now", cwd=tmp_path)
    assert code == 1 and "use nps, csat or ces" in err
    code, _, err = await vocbot(env, "send", "nps", "--now", cwd=tmp_path)
    assert code == 1 and "import contacts" in err


async def test_killed_mid_send_then_restarted_sends_each_survey_once(
    emulator: SlackEmulator, env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    (tmp_path / "contacts.csv").write_text(CSV)
    assert (await vocbot(env, "import", "contacts", "contacts.csv", cwd=tmp_path))[0] == 0
    assert (await vocbot(env, "send", "nps", "--now", cwd=tmp_path))[0] == 0
    stored = emulator.hang_after_store("chat.postMessage")
    worker = await start_vocbot(
        env,
        tmp_path,
        "run-due",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    await asyncio.wait_for(stored.wait(), 60)
    worker.kill()  # SIGKILL: Slack has one DM, the database still says `sending`
    await worker.wait()

    db = Database(database_url)
    later = FakeClock(datetime.now(UTC) + timedelta(minutes=10))  # past the dead sender's lease
    settings = Settings(
        slack_bot_token=BOT_TOKEN, slack_api_url=emulator.api_url, database_url=database_url
    )
    rt = build_runtime(
        settings,
        db=db,
        clock=later,
        sends_per_second=TEST_SENDS_PER_SECOND,
        send_burst=TEST_SEND_BURST,
    )
    try:
        await drain(rt)
        async with db.session() as session:
            statuses = list((await session.execute(select(Invitation.status))).scalars())
    finally:
        await db.dispose()
    assert statuses == [InvitationStatus.SENT] * 3
    for user in ("U0ANA", "U0BEN", "U0CY"):
        assert len(emulator.messages(user)) == 1, user


@pytest.mark.parametrize(
    "command", [["worker"], ["serve", "--port", "0"]], ids=["worker", "serve-with-scheduler"]
)
async def test_the_scheduler_delivers_in_worker_and_in_serve(
    emulator: SlackEmulator, env: dict[str, str], tmp_path: Path, command: list[str]
) -> None:
    (tmp_path / "contacts.csv").write_text(CSV)
    assert (await vocbot(env, "import", "contacts", "contacts.csv", cwd=tmp_path))[0] == 0
    assert (await vocbot(env, "send", "nps", "--now", cwd=tmp_path))[0] == 0
    process = await start_vocbot(
        {**env, "SCHEDULER_TICK": "1s"},
        tmp_path,
        *command,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await eventually(
            lambda: len(emulator.calls_to("chat.postMessage", ok=True)) == 3, timeout=60
        )
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()[-2000:]


async def test_socket_mode_needs_the_app_token(env: dict[str, str], tmp_path: Path) -> None:
    code, _, err = await vocbot(env, "socket", cwd=tmp_path)
    assert code == 2
    assert err.strip() == (
        "error: SLACK_APP_TOKEN is not set: put it in the environment or in .env (see .env.example)"
    )
