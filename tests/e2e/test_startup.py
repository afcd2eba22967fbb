"""A database that cannot be used stops any command with one line naming it and the fix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url


def _upgrade(
    tmp_path: Path, database_url: str, command: tuple[str, ...] = ("db", "upgrade")
) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DATABASE_URL": database_url}
    env |= {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "PORT": "0"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *command],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _one_line(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0]


@pytest.mark.parametrize("command", [("db", "upgrade"), ("serve",), ("worker",)])
def test_a_missing_folder_is_named(tmp_path: Path, command: tuple[str, ...]) -> None:
    result = _upgrade(tmp_path, f"sqlite+aiosqlite:///{tmp_path}/missing/voc.db", command)
    _one_line(result, f"{tmp_path}/missing", "mkdir -p")


def test_a_read_only_database_is_named(tmp_path: Path) -> None:
    (tmp_path / "empty.db").touch()
    url = f"sqlite+aiosqlite:///file:{tmp_path}/empty.db?mode=ro&uri=true"
    _one_line(_upgrade(tmp_path, url), "read-only", str(tmp_path / "empty.db"))


def test_an_unreachable_host_is_named(tmp_path: Path) -> None:
    result = _upgrade(tmp_path, "postgresql+asyncpg://voc:pw@127.0.0.1:1/voc")
    _one_line(result, "cannot reach the database at 127.0.0.1:1", "server is running")
    assert "pw" not in result.stderr.replace("pw@", "")


@pytest.mark.skipif(not os.environ.get("VOC_TEST_POSTGRES_URL"), reason="needs PostgreSQL")
def test_a_wrong_password_is_named_and_not_shown(tmp_path: Path) -> None:
    url = make_url(os.environ["VOC_TEST_POSTGRES_URL"]).set(password="not-the-password")
    result = _upgrade(tmp_path, url.render_as_string(hide_password=False))
    _one_line(result, "refused user", "password")
    assert "not-the-password" not in result.stderr


def test_an_unreachable_slack_is_one_line(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    env |= {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_API_URL": "http://127.0.0.1:1/api/"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "worker"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    _one_line(result, "cannot reach Slack at http://127.0.0.1:1/api/", "SLACK_API_URL")
