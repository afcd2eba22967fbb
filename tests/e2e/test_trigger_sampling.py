"""SURVEY_EVERY: one event in N of a trigger is asked (events over real HTTP)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from bot.core.config import load_settings
from bot.core.runtime import Runtime
from bot.devkit.emulator import SlackEmulator
from bot.domain.errors import ConfigError
from tests.e2e.test_ingest import TOKEN, Hooks
from tests.seed import Person, add_people

pytestmark = pytest.mark.postgres


@pytest.fixture
async def hooks(rt: Runtime, app_url: str) -> AsyncIterator[Hooks]:
    rt.settings.ingest_token = SecretStr(TOKEN)
    sender = Hooks(app_url)
    yield sender
    await sender.close()


async def test_one_closed_ticket_in_three_is_asked_the_others_say_why_not(
    rt: Runtime, emulator: SlackEmulator, hooks: Hooks
) -> None:
    rt.settings.survey_every = {"support": 3}
    people = [f"p{i}@acme.test" for i in range(7)]
    for i, email in enumerate(people):
        emulator.add_user(f"U{i}", email=email)
    await add_people(rt.db, *(Person(email, f"U{i}", tz="UTC") for i, email in enumerate(people)))

    answers = []
    for email in people:
        status, body = await hooks.send(email=email)
        assert status in (200, 201, 202), body
        answers.append(body)
    asked = [i for i, body in enumerate(answers) if body["scheduled"]]
    assert asked == [0, 3, 6]
    assert {body["skipped"] for body in answers if not body["scheduled"]} == {"not sampled"}

    status, body = await hooks.send(event="training_attended", email=people[1])
    assert body["scheduled"]  # other triggers are asked every time


def test_survey_every_names_a_trigger_and_a_whole_n() -> None:
    assert load_settings(survey_every="support=3, training=2").survey_every == {
        "support": 3,
        "training": 2,
    }
    with pytest.raises(ConfigError, match="SURVEY_EVERY.*not a trigger"):
        load_settings(survey_every="tickets=3")
    with pytest.raises(ConfigError, match="SURVEY_EVERY.*whole number"):
        load_settings(survey_every="support=0")
