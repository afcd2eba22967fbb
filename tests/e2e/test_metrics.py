"""`GET /metrics` and `/healthz` as an operator's monitoring reads them."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import socket
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import event, text

from bot.app import build_web_app
from bot.core.runtime import Runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.scheduler import deliver_tick, tick
from bot.services.operations import SCRAPE_EVERY
from bot.services.surveys import start_relationship_campaign
from tests.harness import cli_env, eventually, serve, start_vocbot
from tests.seed import Person, add_people

pytestmark = pytest.mark.postgres


async def _get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


def _value(text: str, sample: str) -> float:
    for line in text.splitlines():
        if line.startswith(sample + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{sample} not in /metrics")


async def test_metrics_show_surveys_slack_errors_backlogs_and_passes(
    rt: Runtime, emulator: SlackEmulator, app_url: str, clock: FakeClock
) -> None:
    emulator.add_user("U1", email="ana@acme.test")
    emulator.add_user("U2", email="ben@acme.test")
    await add_people(rt.db, Person("ana@acme.test"), Person("ben@acme.test"))
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    status, before = await _get(app_url + "/metrics")
    assert status == 200
    assert _value(before, "voc_due_backlog") == 2
    errors = 'voc_slack_errors_total{kind="429",method="chat.postMessage"}'
    already = _value(before, errors) if errors in before else 0.0
    emulator.fail("chat.postMessage", status=429, retry_after=1)
    await tick(rt)  # the scheduler's pass, then its delivery job beside it
    await deliver_tick(rt)
    clock.advance(SCRAPE_EVERY)  # the database's counts are read once a scrape interval
    _, after = await _get(app_url + "/metrics")
    assert _value(after, 'voc_surveys{channel="slack",kind="nps",status="sent"}') == 2
    assert _value(after, "voc_due_backlog") == 0
    assert _value(after, errors) == already + 1
    assert _value(after, "voc_webhook_backlog") == 0
    assert _value(after, "voc_escalations") == 0
    assert _value(after, "voc_pacer_rate") > 0
    assert _value(after, "voc_acked_work_running") == 0
    assert _value(after, "voc_scheduler_pass_seconds_count") >= 1
    status, health = await _get(app_url + "/healthz")
    assert status == 200 and '"last_pass_seconds_ago": ' in health
    assert '"last_pass_seconds_ago": null' not in health


async def test_scrapes_read_the_databases_counts_once_a_scrape_interval(
    rt: Runtime, app_url: str, clock: FakeClock
) -> None:
    """Issue 25, item 14: each scrape ran a GROUP BY over every invitation."""
    group_bys: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "GROUP BY" in statement.upper():
            group_bys.append(statement)

    event.listen(rt.db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        scrapes = await asyncio.gather(*(_get(app_url + "/metrics") for _ in range(5)))
        scrapes.append(await _get(app_url + "/metrics"))
        assert [status for status, _ in scrapes] == [200] * 6
        assert len(group_bys) == 1
        clock.advance(SCRAPE_EVERY)
        status, text = await _get(app_url + "/metrics")
        assert status == 200 and "voc_due_backlog 0.0" in text and "voc_database_up 1.0" in text
        assert len(group_bys) == 2
    finally:
        event.remove(rt.db.engine.sync_engine, "before_cursor_execute", seen)


async def test_metrics_without_the_database_still_serve_this_processs_counters(
    rt: Runtime, app_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with rt.db.transaction() as session:
        await session.execute(text("ALTER TABLE invitations RENAME TO invitations_gone"))
    caplog.set_level(logging.INFO)
    status, body = await _get(app_url + "/metrics")
    assert status == 200
    assert "voc_database_up 0.0" in body and "voc_pacer_rate" in body
    assert "voc_due_backlog" not in body  # no stale count passed off as today's
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in errors] == ["metrics: database unavailable"]
    assert errors[0].exc_info is None


async def test_with_metrics_port_serve_keeps_metrics_off_its_public_port(rt: Runtime) -> None:
    rt.settings.metrics_port = 0
    served = await serve(build_web_app(rt, scheduler=False))
    try:
        assert (await _get(served.url + "/metrics"))[0] == 404
        assert (await _get(served.url + "/healthz"))[0] == 200  # the load balancer's
    finally:
        await served.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_worker_serves_metrics_on_metrics_port_and_logs_json(
    emulator: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    port = _free_port()
    env = cli_env(
        api_url=emulator.api_url,
        database_url=database_url,
        home=tmp_path,
        METRICS_PORT=str(port),
        PYTHONPATH=str(Path(__file__).resolve().parents[2]),  # the project, installed or not
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
        SCHEDULER_TICK="1s",
    )
    process = await start_vocbot(env, tmp_path, "worker", stdout=asyncio.subprocess.DEVNULL)
    try:
        body = await eventually(lambda: _scrape(f"http://127.0.0.1:{port}/metrics"), timeout=30)
        assert "voc_due_backlog 0.0" in body
        health = await eventually(lambda: _scrape(f"http://127.0.0.1:{port}/healthz"))
        assert '"ok": true' in health
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0
    lines = [line for line in err.decode().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert records and all({"time", "level", "logger", "message"} <= set(r) for r in records)
    assert any(r["message"] == "worker started" for r in records)
    # the start-up check: the token is tested with auth.test, VOC_CHANNEL is looked at
    assert "Connected to Slack workspace Acme as @vocbot." in lines
    assert any(
        r["level"] == "WARNING" and "VOC_CHANNEL is not set" in r["message"] for r in records
    )
    assert [c.method for c in emulator.calls][:1] == ["auth.test"]


async def test_serve_serves_metrics_on_metrics_port(
    emulator: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    """The same monitoring server as `worker`'s; /metrics leaves the public port."""
    port, metrics_port = _free_port(), _free_port()
    env = cli_env(
        api_url=emulator.api_url,
        database_url=database_url,
        home=tmp_path,
        PORT=str(port),
        METRICS_PORT=str(metrics_port),
        PYTHONPATH=str(Path(__file__).resolve().parents[2]),  # the project, installed or not
    )
    process = await start_vocbot(
        env, tmp_path, "serve", "--no-scheduler", stdout=asyncio.subprocess.DEVNULL
    )
    try:
        body = await eventually(
            lambda: _scrape(f"http://127.0.0.1:{metrics_port}/metrics"), timeout=30
        )
        assert "voc_due_backlog 0.0" in body
        assert await _scrape(f"http://127.0.0.1:{metrics_port}/healthz")
        await eventually(lambda: _scrape(f"http://127.0.0.1:{port}/healthz"), timeout=30)
        assert (await _get(f"http://127.0.0.1:{port}/metrics"))[0] == 404
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0


async def _scrape(url: str) -> str | None:
    try:
        status, text = await _get(url)
    except aiohttp.ClientError:
        return None
    return text if status == 200 else None
