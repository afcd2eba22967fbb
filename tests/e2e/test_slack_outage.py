"""A Slack outage (5xx or no answer for minutes) shows as WARNING lines, not only counters."""

from __future__ import annotations

import logging
import socket
from datetime import timedelta

import pytest
from slack_sdk.errors import SlackApiError

from bot.core import metrics
from bot.core.runtime import Runtime
from bot.core.slack import Pacer, make_client
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.scheduler import deliver_tick
from bot.services.surveys import start_relationship_campaign
from tests.harness import BOT_TOKEN
from tests.seed import Person, add_people


@pytest.fixture(autouse=True)
def _warnings_shown(caplog: pytest.LogCaptureFixture) -> None:
    # another test (the demo) may have quieted the "bot" loggers for the whole process
    caplog.set_level(logging.INFO, logger="bot.core.slack_health")


def _said(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "bot.core.slack_health"]


def _five_hundreds() -> float:
    labels = {"kind": "5xx", "method": "chat.postMessage"}
    return metrics.REGISTRY.get_sample_value("voc_slack_errors_total", labels) or 0.0


async def _post(rt: Runtime) -> bool:
    try:
        await rt.slack.chat_postMessage(channel="CVOC", text="hello")
    except SlackApiError:
        return False
    return True


async def test_the_scheduler_meeting_a_503_says_so_at_warning(
    rt: Runtime, emulator: SlackEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.add_user("U1", email="ana@acme.test")
    await add_people(rt.db, Person("ana@acme.test"))
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    emulator.fail("chat.postMessage", status=503, times=5)
    await deliver_tick(rt)  # the scheduler's delivery job
    said = _said(caplog)
    assert [r.levelno for r in said] == [logging.WARNING]
    assert said[0].getMessage().startswith("Slack is failing: chat.postMessage got 503;")
    assert (said[0].method, said[0].status) == ("chat.postMessage", "503")  # type: ignore[attr-defined]


async def test_five_minutes_of_5xx_warn_once_a_minute_with_the_count_then_say_the_end(
    rt: Runtime, emulator: SlackEmulator, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.add_channel("CVOC", ["U1"])
    assert await _post(rt)
    assert _said(caplog) == []  # healthy: nothing to say
    counted = _five_hundreds()
    emulator.fail("chat.postMessage", status=503, times=30)
    for _ in range(30):  # a failed post every 10 s for five minutes
        clock.advance(timedelta(seconds=10))
        assert not await _post(rt)
    said = _said(caplog)
    assert all(r.levelno == logging.WARNING for r in said)
    assert said[0].getMessage().startswith("Slack is failing: chat.postMessage got 503")
    repeats = said[1:]
    assert [r.getMessage().split(":")[0] for r in repeats] == [
        f"Slack is still failing after {n} min" for n in (1, 2, 3, 4)
    ]
    assert [r.failed_calls for r in repeats] == [6, 6, 6, 6]  # type: ignore[attr-defined]
    assert _five_hundreds() == counted + 30  # /metrics counts each one

    for _ in range(5):  # the end is said once, after 30 s without a failure
        clock.advance(timedelta(seconds=10))
        assert await _post(rt)
    ended = _said(caplog)[len(said) :]
    assert [r.getMessage() for r in ended] == ["Slack answers again after 5 min"]
    assert ended[0].levelno == logging.WARNING and ended[0].failed_calls == 30  # type: ignore[attr-defined]


async def test_a_partial_outage_does_not_flap_up_and_down(
    rt: Runtime, emulator: SlackEmulator, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.add_channel("CVOC", ["U1"])
    for _ in range(12):  # every other post fails, for two minutes
        clock.advance(timedelta(seconds=5))
        emulator.fail("chat.postMessage", status=500)
        assert not await _post(rt)
        clock.advance(timedelta(seconds=5))
        assert await _post(rt)
    messages = [r.getMessage() for r in _said(caplog)]
    assert len(messages) == 2 and not any("answers again" in m for m in messages)
    assert messages[1].startswith("Slack is still failing after 1 min: 6 failed calls")
    clock.advance(timedelta(seconds=40))  # 45 s after the last failure
    assert await _post(rt)
    assert _said(caplog)[-1].getMessage() == "Slack answers again after 2 min"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_no_answer_at_all_names_the_method_and_the_failure(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/api/"
    client = make_client(BOT_TOKEN, url, pacer=Pacer(10), clock=clock)
    with pytest.raises(OSError):
        await client.chat_postMessage(channel="C1", text="hello")
    # Slack never answered yet: one failure is the start-up check's to report (in one line)
    assert _said(caplog) == []
    with pytest.raises(OSError):
        await client.chat_postMessage(channel="C1", text="hello")
    said = _said(caplog)
    assert len(said) == 1 and said[0].levelno == logging.WARNING
    assert (
        said[0]
        .getMessage()
        .startswith("Slack is failing: chat.postMessage got no answer (ClientConnectorError)")
    )
