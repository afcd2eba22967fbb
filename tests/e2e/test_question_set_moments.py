"""Question sets at every moment, end to end: an `exit` set asks its follow-ups in the exit
DM after the reasons; a set whose metric is not the trigger's own asks that metric (its
scale) and then its follow-ups; each answer stored once with the set's version."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.config import Settings
from bot.core.runtime import Runtime
from bot.devkit.emulator import SlackEmulator
from bot.domain.question_sets import SetError, check_set
from bot.scheduler import drain, run_due
from bot.services import question_sets
from storage.models import FollowUpAnswer, Invitation, Response
from tests.e2e.test_ingest import ANA, Hooks, hooks  # noqa: F401  (the fixture)
from tests.e2e.test_milestones import NOW, _churn_setup, _open_and_answer, _reasons
from tests.harness import SlackSender, cli_env, eventually, vocbot
from tests.payloads import block_action
from tests.seed import Person, add_people

pytestmark = pytest.mark.postgres

SURVEYS = """\
surveys:
  leaving:
    trigger: exit
    questions:
      - key: come_back
        type: yes_no
        text: {en: "Would you consider coming back?", ms: "Adakah anda akan kembali?"}
      - key: kept_you
        type: text
        text: What would have kept you with us?
  after_ticket:
    trigger: ticket_closed
    metric: nps
    questions:
      - key: resolved
        type: yes_no
        text: Was your issue fully resolved?
  training:
    trigger: training
    metric: ces
    questions:
      - key: confident
        type: rating
        text: How confident are you using {product} now?
"""


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    path = tmp_path / "surveys.yaml"
    path.write_text(SURVEYS, encoding="utf-8")
    return settings.model_copy(update={"surveys_file": str(path)})


async def _rows(rt: Runtime, model: type) -> list:
    async with rt.db.session() as session:
        return list((await session.execute(select(model).order_by(model.id))).scalars())


def _tap(emulator: SlackEmulator, invitation: Invitation, user: str, action_id: str, value: str):
    return block_action(
        user=user,
        action_id=action_id,
        value=value,
        channel=invitation.dm_channel or "",
        message_ts=invitation.message_ts or "",
        response_url=emulator.new_response_url(),
        block_id="followup",
    )


def _last_update(emulator: SlackEmulator) -> str:
    return json.dumps(emulator.calls_to("chat.update", ok=True)[-1].args["blocks"])


async def _set(rt: Runtime, name: str):
    [qset] = [s for s in await question_sets.current(rt, rt.now()) if s.name == name]
    return qset


async def test_an_exit_set_asks_its_follow_ups_in_the_exit_dm_after_the_reasons(
    rt: Runtime,
    hooks: Hooks,  # noqa: F811
    emulator: SlackEmulator,
    slack: SlackSender,
) -> None:
    await _churn_setup(rt, emulator)
    assert (await hooks.send(event="churned", email=ANA, occurred_at=NOW.isoformat()))[0] == 202
    await drain(rt)
    [exit_survey] = [i for i in await _rows(rt, Invitation) if i.kind == "exit"]
    status, _ = await _open_and_answer(
        slack, emulator, exit_survey, "U1", _reasons("price", comment="Too dear")
    )
    assert status == 200
    await eventually(lambda: emulator.calls_to("chat.update", ok=True))
    shown = _last_update(emulator)
    assert "Would you consider coming back?" in shown  # under the answer, same DM
    assert "What would have kept you with us?" in shown
    assert "Thank you for telling us" in shown and "Price" in shown

    leaving = await _set(rt, "leaving")
    yes = _tap(
        emulator,
        exit_survey,
        "U1",
        f"followup.{leaving.set_id}.come_back.yes",
        f"{exit_survey.id}:{leaving.set_id}:come_back:yes",
    )
    assert (await slack.interactive(yes))[0] == 200
    await eventually(lambda: len(emulator.calls_to("chat.update", ok=True)) >= 2)
    typed = _tap(
        emulator,
        exit_survey,
        "U1",
        f"followup.text.{exit_survey.id}.{leaving.set_id}.kept_you",
        "A cheaper <plan>",
    )
    assert (await slack.interactive(typed))[0] == 200
    await eventually(lambda: len(emulator.calls_to("chat.update", ok=True)) >= 3)
    answers = await _rows(rt, FollowUpAnswer)
    assert [(a.invitation_id, a.question_key, a.value, a.question_set_id) for a in answers] == [
        (exit_survey.id, "come_back", "yes", leaving.set_id),
        (exit_survey.id, "kept_you", "A cheaper <plan>", leaving.set_id),
    ]
    shown = _last_update(emulator)
    assert "Price" in shown and "A cheaper &lt;plan&gt;" in shown  # the reasons stay
    assert "followup.text." not in shown
    # someone else cannot answer it
    other = _tap(
        emulator,
        exit_survey,
        "U2",
        f"followup.{leaving.set_id}.come_back.no",
        f"{exit_survey.id}:{leaving.set_id}:come_back:no",
    )
    assert (await slack.interactive(other))[0] == 200
    await eventually(lambda: emulator.calls_to("response_url"))
    assert len(await _rows(rt, FollowUpAnswer)) == 2


async def test_an_unanswered_exit_survey_takes_no_follow_up(
    rt: Runtime,
    hooks: Hooks,  # noqa: F811
    emulator: SlackEmulator,
    slack: SlackSender,
) -> None:
    await _churn_setup(rt, emulator)
    await hooks.send(event="churned", email=ANA, occurred_at=NOW.isoformat())
    await drain(rt)
    [exit_survey] = [i for i in await _rows(rt, Invitation) if i.kind == "exit"]
    leaving = await _set(rt, "leaving")
    early = _tap(
        emulator,
        exit_survey,
        "U1",
        f"followup.{leaving.set_id}.come_back.yes",
        f"{exit_survey.id}:{leaving.set_id}:come_back:yes",
    )
    assert (await slack.interactive(early))[0] == 200
    await eventually(lambda: emulator.calls_to("response_url"))
    assert await _rows(rt, FollowUpAnswer) == []


async def test_a_ticket_closed_set_with_nps_asks_nps_then_its_follow_ups(
    rt: Runtime,
    hooks: Hooks,  # noqa: F811
    emulator: SlackEmulator,
    slack: SlackSender,
) -> None:
    emulator.add_user("U1", email=ANA, tz="UTC")
    await add_people(rt.db, Person(ANA, "U1", tz="UTC"))
    status, answer = await hooks.send(event="ticket_closed")
    assert status == 202 and [e["kind"] for e in answer["scheduled"]] == ["nps"]
    await run_due(rt)
    [nps] = await _rows(rt, Invitation)
    assert (nps.kind, nps.trigger) == ("nps", "support")
    [dm] = emulator.messages(nps.dm_channel or "")
    assert "survey.rate.10" in json.dumps(dm["blocks"])  # the 0–10 scale, not CSAT's 1–5
    tap = _tap(emulator, nps, "U1", "survey.rate.9", f"{nps.id}:9")
    assert (await slack.interactive(tap))[0] == 200
    await eventually(lambda: emulator.calls_to("chat.update", ok=True))
    assert "Was your issue fully resolved?" in _last_update(emulator)
    [response] = await _rows(rt, Response)
    assert (response.invitation_id, response.score) == (nps.id, 9)
    qset = await _set(rt, "after_ticket")
    yes = _tap(
        emulator,
        nps,
        "U1",
        f"followup.{qset.set_id}.resolved.yes",
        f"{nps.id}:{qset.set_id}:resolved:yes",
    )
    assert (await slack.interactive(yes))[0] == 200
    await eventually(lambda: len(emulator.calls_to("chat.update", ok=True)) >= 2)
    [given] = await _rows(rt, FollowUpAnswer)
    assert (given.question_key, given.value, given.question_set_id) == (
        "resolved",
        "yes",
        qset.set_id,
    )
    assert len(emulator.calls_to("chat.postMessage", ok=True)) == 1  # one DM, no CES after


async def test_a_training_set_with_ces_asks_ces(
    rt: Runtime,
    hooks: Hooks,  # noqa: F811
    emulator: SlackEmulator,
) -> None:
    emulator.add_user("U1", email=ANA, tz="UTC")
    await add_people(rt.db, Person(ANA, "U1", tz="UTC"))
    status, answer = await hooks.send(event="training_attended")
    assert status == 202 and [e["kind"] for e in answer["scheduled"]] == ["ces"]


def test_an_exit_set_with_a_score_metric_is_refused_in_one_line() -> None:
    with pytest.raises(SetError) as refused:
        check_set("leaving", {"trigger": "exit", "metric": "nps", "questions": []})
    assert str(refused.value) == (
        "survey leaving: an exit survey asks why they left (reasons and a comment), "
        "not a score; leave metric out"
    )


RELATIONSHIP = """\
surveys:
  quarterly:
    trigger: relationship
    metric: csat
    questions:
      - key: csm_satisfaction
        type: rating
        text: How satisfied are you with your CSM?
"""


@pytest.mark.slow  # two processes
async def test_a_relationship_set_with_csat_refuses_send_nps_and_asks_with_send_csat(
    emulator: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "surveys.yaml"
    path.write_text(RELATIONSHIP, encoding="utf-8")
    (tmp_path / "contacts.csv").write_text("email,account\nana@acme.test,Acme\n")
    emulator.add_user("U0ANA", email="ana@acme.test", tz="UTC")
    env = cli_env(
        api_url=emulator.api_url, database_url=database_url, home=tmp_path, SURVEYS_FILE=str(path)
    )
    assert (await vocbot(env, "import", "contacts", "contacts.csv", cwd=tmp_path))[0] == 0
    code, _, err = await vocbot(env, "send", "nps", "--now", cwd=tmp_path)
    assert code == 1
    assert err.strip() == (
        "error: the relationship survey quarterly asks CSAT, not NPS: send csat "
        "(or autopilot csat), or change its metric with /voc survey"
    )
    code, out, err = await vocbot(
        env, "send", "csat", "--now", "--email", "ana@acme.test", cwd=tmp_path
    )
    assert code == 0 and "Created 1 invitation" in out, err
