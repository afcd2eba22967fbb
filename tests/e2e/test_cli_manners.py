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
