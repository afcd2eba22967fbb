"""A scheduler pass where one job fails still runs every other job."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from bot.core.runtime import Runtime
from bot.devkit.emulator import SlackEmulator
from bot.scheduler import run_due
from bot.services.surveys import start_relationship_campaign
from storage.models import Autopilot
from tests.seed import Person, add_people

pytestmark = pytest.mark.postgres


async def test_a_failing_job_is_one_error_line_and_the_pass_goes_on(
    rt: Runtime, emulator: SlackEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.add_user("U1", email="ana@acme.test")
    await add_people(rt.db, Person("ana@acme.test"))
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    async with rt.db.transaction() as session:  # the autopilot's planning, the first job, fails
        # on a row no command would write (a period of 0 days): a bug, not an outage, which
        # a pass says once for all its jobs (tests/e2e/test_database_outage.py)
        session.add(
            Autopilot(
                kind="nps",
                every_days=0,
                anchor=rt.now().date(),
                next_plan_at=rt.now() - timedelta(hours=1),
            )
        )

    with caplog.at_level(logging.INFO):
        report = await run_due(rt)

    assert report.jobs_failed == 1
    assert report.sent == 1 and len(emulator.calls_to("chat.postMessage", ok=True)) == 1
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [(r.name, r.getMessage()) for r in errors] == [("bot.scheduler", "scheduled job failed")]
    [error] = errors
    assert error.__dict__["job"] == "autopilot.plan_due"
    assert error.__dict__["error"] == "ZeroDivisionError"
    assert error.exc_info is None  # the exception's text (it can quote data) is not at ERROR
