"""`python -m bot digest [--post]` and `export responses` as real processes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from bot.devkit.emulator import SlackEmulator
from storage.db import Database
from tests.digest_fixture import seed_digest
from tests.harness import cli_env, vocbot


@pytest.fixture
async def emulator() -> SlackEmulator:  # type: ignore[misc]
    async with SlackEmulator() as running:
        yield running


@pytest.fixture
def env(emulator: SlackEmulator, database_url: str, tmp_path: Path) -> dict[str, str]:
    return cli_env(
        api_url=emulator.api_url,
        database_url=database_url,
        home=tmp_path,
        MPLCONFIGDIR=str(tmp_path / "mpl"),
    )


async def test_digest_prints_a_readable_text_version(
    env: dict[str, str], tmp_path: Path, db: Database
) -> None:
    code, out, err = await vocbot(env, "digest", cwd=tmp_path)
    assert code == 0, err
    assert out.startswith("Weekly customer feedback digest, week to ")
    assert "No surveys were sent and no answers came in" in out  # a fresh database
    await seed_digest(db)
    code, out, err = await vocbot(env, "digest", cwd=tmp_path)
    assert code == 0, err
    for title in ("Scores", "NPS by segment (90 days)", "NPS by tenure (90 days)", "Follow-ups"):
        assert f"\n{title}\n" in out, title
    assert "Top feature requests by ARR" in out and "1. SSO: $120,000 ARR" in out
    assert "nan" not in out.lower()


async def test_the_cli_digest_names_people_never_slack_ids(
    env: dict[str, str], tmp_path: Path, db: Database, emulator: SlackEmulator
) -> None:
    await seed_digest(db)
    emulator.add_user("UCSM1", name="Aisha Rahman")  # UCSM2 is unknown to Slack
    code, out, err = await vocbot(env, "digest", cwd=tmp_path)
    assert code == 0, err
    assert "\n  Aisha Rahman: " in out  # NPS by CSM
    assert "\n  unnamed CSM 1: " in out  # UCSM2, whom Slack does not know
    assert "UCSM1" not in out and "UCSM2" not in out


async def test_digest_post_posts_now_to_the_digest_channel(
    env: dict[str, str], tmp_path: Path, emulator: SlackEmulator
) -> None:
    code, _, err = await vocbot(env, "digest", "--post", cwd=tmp_path)
    assert code == 1 and "DIGEST_CHANNEL" in err
    code, out, err = await vocbot(
        env | {"DIGEST_CHANNEL": "CDIG"}, "digest", "--post", cwd=tmp_path
    )
    assert code == 0, err
    assert "Posted the digest to CDIG" in out
    [message, chart] = emulator.messages("CDIG")
    assert "Weekly customer feedback digest" in json.dumps(message["blocks"])
    assert chart["thread_ts"] == message["ts"] and chart["files"]


async def test_export_responses_streams_csv_and_jsonl_to_stdout(
    env: dict[str, str], tmp_path: Path, db: Database
) -> None:
    await seed_digest(db)
    code, out, err = await vocbot(env, "export", "responses", cwd=tmp_path)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 41 and {r["account"] for r in rows} == {
        "Acme",
        "Globex",
        "Initech",
        "Hooli",
    }
    code, out, err = await vocbot(env, "export", "responses", "--format", "jsonl", cwd=tmp_path)
    assert code == 0, err
    assert len([json.loads(line) for line in out.splitlines()]) == 41
    code, _, err = await vocbot(env, "export", "responses", "--format", "xml", cwd=tmp_path)
    assert code == 1 and "use --format csv or --format jsonl" in err
