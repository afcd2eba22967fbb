"""The command line as people expect it (issue #30): ports, help, version, warnings."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import build_bolt_app
from bot.core.runtime import Runtime
from bot.devkit.emulator import SlackEmulator


def _bot(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
    base |= {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_APP_TOKEN": "xapp-1"}
    base |= {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/voc.db", "COLUMNS": "100"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=base | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def taken() -> Iterator[int]:
    """A port another process listens on."""
    with socket.socket() as other:
        other.bind(("0.0.0.0", 0))
        other.listen()
        yield other.getsockname()[1]


@pytest.mark.parametrize(
    ("command", "env_name", "given_by"),
    [
        (("serve",), "PORT", "PORT"),
        (("serve", "--port", "{port}"), "", "--port"),
        (("serve", "--port", "0"), "METRICS_PORT", "METRICS_PORT"),
        (("worker",), "METRICS_PORT", "METRICS_PORT"),
        (("socket",), "METRICS_PORT", "METRICS_PORT"),
        (("emulator", "--port", "{port}"), "", "--port"),
    ],
)
def test_a_port_in_use_is_one_line_and_exit_2_before_any_work(
    tmp_path: Path, taken: int, command: tuple[str, ...], env_name: str, given_by: str
) -> None:
    args = [word.format(port=taken) for word in command]
    env = {env_name: str(taken)} if env_name else {}
    result = _bot(tmp_path, *args, **env)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"error: port {taken} ({given_by}) is already in use: stop the process listening "
        f"there (`ss -ltnp 'sport = :{taken}'` names it) or choose another port with {given_by}"
    ]
    assert not (tmp_path / "voc.db").exists()  # no database opened, no scheduler started


async def test_no_warning_about_the_token_on_start(
    rt: Runtime, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bolt reads SLACK_BOT_TOKEN itself and warned that it "will be unused" on every start."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-environment")
    with caplog.at_level(logging.DEBUG):
        build_bolt_app(rt)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def _every_help() -> Iterator[tuple[list[str], str]]:
    """The --help of every command and group, as `python -m bot` prints it."""
    from typer.main import get_command
    from typer.testing import CliRunner

    from bot.cli import cli

    runner = CliRunner()

    def walk(command: object, path: list[str]) -> Iterator[list[str]]:
        yield path
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, [*path, name])

    for path in walk(get_command(cli), []):
        result = runner.invoke(cli, [*path, "--help"], prog_name="python -m bot")
        assert result.exit_code == 0, (path, result.output)
        yield path, result.output


def test_no_help_shows_a_type_placeholder_for_a_flag() -> None:
    helps = dict((" ".join(path), text) for path, text in _every_help())
    assert len(helps) > 30
    assert [name for name, text in helps.items() if "<bool>" in text] == []
    assert "--no-scheduler  Only serve HTTP." in helps["serve"]


def test_help_lists_the_demo_first_with_whole_lines_and_the_version(tmp_path: Path) -> None:
    result = _bot(tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: python -m bot [OPTIONS] COMMAND [ARGS]...")
    commands = result.stdout.split("Commands:\n", 1)[1].split()
    assert commands[0] == "demo"
    assert "--version" in result.stdout and "..." not in result.stdout.split("Commands:")[1]

    version = _bot(tmp_path, "--version")
    assert version.returncode == 0 and version.stdout.startswith("vocbot ")


def test_import_contacts_help_lists_the_columns(tmp_path: Path) -> None:
    from bot.domain.contacts_csv import COLUMNS

    result = _bot(tmp_path, "import", "contacts", "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage: python -m bot import contacts [OPTIONS] {FILE.csv}" in result.stdout
    flat = " ".join(result.stdout.split())
    assert "email, account (required)" in flat
    assert all(column in flat for column in COLUMNS)


def test_sandbox_comes_right_after_the_demo_wherever_it_is_defined() -> None:
    import typer
    from typer.testing import CliRunner

    from bot.cli import _Help

    app = typer.Typer(cls=_Help, rich_markup_mode=None)
    for name in ("serve", "sandbox", "send", "demo"):
        app.command(name)(lambda: None)
    listed = CliRunner().invoke(app, ["--help"]).output.split("Commands:\n", 1)[1].split()
    assert listed == ["demo", "sandbox", "serve", "send"]


CONTACTS = "email,account,name\n" + "".join(
    f"p{n}@acme.test,Acme {n % 3},Person {n}\n" for n in range(40)
)


def _bot_on_a_terminal(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """`python -m bot ARGS` with stderr on a pseudo-terminal: (exit code, stdout, terminal)."""
    import pty

    leader, follower = pty.openpty()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
    env |= {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/voc.db", "COLUMNS": "100"}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=follower,
        text=True,
    )
    os.close(follower)
    drawn = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the process closed the terminal
            break
        if not chunk:
            break
        drawn += chunk
    out, _ = process.communicate(timeout=60)
    os.close(leader)
    return process.returncode, out, drawn.decode(errors="replace")


def test_an_import_draws_its_progress_on_a_terminal_and_only_its_summary_in_a_pipe(
    tmp_path: Path,
) -> None:
    (tmp_path / "contacts.csv").write_text(CONTACTS)
    code, out, terminal = _bot_on_a_terminal(tmp_path, "import", "contacts", "contacts.csv")
    assert code == 0, terminal
    assert "Writing contacts" in terminal and "40/40" in terminal
    assert out == "Imported 40 contacts (40 new, 0 updated) in 3 accounts (3 new, 0 updated).\n"

    piped = _bot(tmp_path, "import", "contacts", "contacts.csv")
    assert piped.returncode == 0 and piped.stderr == ""
    assert (
        piped.stdout
        == "Unchanged: 40 contacts in 3 accounts, already here as the file writes them.\n"
    )


def test_past_answers_draw_their_progress_on_a_terminal(tmp_path: Path) -> None:
    (tmp_path / "contacts.csv").write_text(CONTACTS)
    assert _bot(tmp_path, "import", "contacts", "contacts.csv").returncode == 0
    (tmp_path / "nps.csv").write_text(
        "email,kind,score,comment,answered_at\n"
        + "".join(
            f"p{n}@acme.test,nps,{n % 11},,2026-03-0{1 + n % 9} 10:00:00\n" for n in range(12)
        )
    )
    code, out, terminal = _bot_on_a_terminal(tmp_path, "import", "responses", "nps.csv")
    assert code == 0, terminal + out
    assert "Writing past answers" in terminal and "12/12" in terminal
    assert "Imported 12 past answers" in out


async def test_send_reports_each_contact_resolved_and_the_invitations_so_far(
    rt: Runtime, emulator: SlackEmulator
) -> None:
    from bot.domain import admin_commands
    from bot.domain.progress import Stage, Tick
    from bot.services import surveys
    from tests.seed import Person, add_people

    for user, email in [("U1", "ana@acme.test"), ("U2", "ben@acme.test")]:
        emulator.add_user(user, email=email)
    await add_people(rt.db, Person("ana@acme.test", "U1"), Person("ben@acme.test", "U2"))
    await add_people(rt.db, Person("cy@acme.test", None))  # Slack does not know Cy: skipped
    request = admin_commands.parse("send", admin_commands.Words.from_argv(["nps", "--now"]))
    assert isinstance(request, admin_commands.SendRequest)
    ticks: list[Tick] = []
    report = await surveys.send(rt, request, by="cli", now=rt.now(), on_progress=ticks.append)
    assert report.created == 2
    # once before, once the invitations exist, once `send` stops waiting for Slack's answers
    assert {tick.stage for tick in ticks} == {Stage.CONTACTS}
    assert (ticks[0].done, ticks[0].total) == (0, 3) and (ticks[-1].done, ticks[-1].total) == (3, 3)
    assert [t.done for t in ticks] == sorted(t.done for t in ticks)
    assert ticks[-1].made == 2 and [tick.made for tick in ticks] == sorted(t.made for t in ticks)
