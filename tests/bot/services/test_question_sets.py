"""SURVEYS_FILE kept as versions: a file change is a new version, a Slack change stays until
the file's own text changes, a set taken out of the file is switched off."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.config import Settings
from bot.core.runtime import Runtime, build_runtime
from bot.devkit.clock import FakeClock
from bot.services import question_sets
from storage.db import Database

pytestmark = pytest.mark.postgres

TICKET = "surveys:\n  after_ticket:\n    trigger: ticket_closed\n    template: ticket_closed\n"
TRAINING = "  training:\n    trigger: training\n    template: training\n"


def _runtime(db: Database, database_url: str, path: Path) -> Runtime:
    settings = Settings(database_url=database_url, surveys_file=str(path))
    return build_runtime(settings, db=db, clock=FakeClock())


async def _current(db: Database, database_url: str, path: Path) -> list[tuple[str, int | None]]:
    """What a freshly started process reads: the sets in force, with their versions."""
    rt = _runtime(db, database_url, path)
    return [(s.name, s.version) for s in await question_sets.current(rt, rt.now())]


async def test_the_file_slack_and_the_file_again(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "surveys.yaml"
    path.write_text(TICKET + TRAINING, encoding="utf-8")
    assert await _current(db, database_url, path) == [("after_ticket", 1), ("training", 1)]
    assert await _current(db, database_url, path) == [("after_ticket", 1), ("training", 1)]

    rt = _runtime(db, database_url, path)  # staff change it in Slack: kept across restarts
    changed = {"trigger": "training", "metric": "csat"}
    await question_sets.change(rt, {"training": changed}, by="UA", now=rt.now())
    assert await _current(db, database_url, path) == [("after_ticket", 1), ("training", 2)]

    path.write_text(
        TICKET.replace("template: ticket_closed", "template: ticket_closed\n    questions: []"),
        encoding="utf-8",
    )
    assert await _current(db, database_url, path) == [("after_ticket", 2), ("training", 2)]
    versions = await question_sets.versions(rt, "after_ticket")
    assert [len(v.follow_ups) for v in versions] == [2, 0]  # version 1 is as it was

    path.write_text(TICKET.split("  after_ticket:")[0] + TRAINING, encoding="utf-8")
    # the ticket's set is switched off; training's text is as the file last gave it, so the
    # change made in Slack stays
    assert await _current(db, database_url, path) == [("training", 2)]
    assert [v.version for v in await question_sets.versions(rt, "after_ticket")] == [1, 2, 3]
