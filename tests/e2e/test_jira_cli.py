"""A long-running command with Jira set checks it before its loop: a refused token or an
unknown project stops `worker` with one line naming the setting (never the token), exit 2."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.devkit import jira_emulator
from bot.devkit.emulator import SlackEmulator
from bot.devkit.jira_emulator import JiraEmulator
from tests.harness import cli_env, vocbot


@pytest.fixture
async def jira() -> AsyncIterator[JiraEmulator]:
    async with JiraEmulator() as running:
        yield running


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"JIRA_TOKEN": "ATATT-wrong-token"}, "Jira refused JIRA_EMAIL / JIRA_TOKEN (401)"),
        ({"JIRA_PROJECT": "NOPE"}, "Jira has no project NOPE that JIRA_EMAIL can see (404)"),
    ],
)
async def test_worker_stops_with_one_line_when_jira_refuses_the_setup(
    emulator: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    jira: JiraEmulator,
    changes: dict[str, str],
    says: str,
) -> None:
    settings = {
        "JIRA_URL": jira.url,
        "JIRA_EMAIL": jira_emulator.EMAIL,
        "JIRA_TOKEN": jira_emulator.TOKEN,
        "JIRA_PROJECT": jira_emulator.PROJECT,
        "VOC_CHANNEL": "",
    }
    env = cli_env(
        api_url=emulator.api_url, database_url=database_url, home=tmp_path, **settings | changes
    )
    code, out, err = await vocbot(env, "worker", cwd=tmp_path)
    assert code == 2, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: ") and says in last and "Traceback" not in err
    assert err.count("error:") == 1
    assert "ATATT" not in err and jira.issues == {}
