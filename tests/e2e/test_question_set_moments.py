"""Question sets at every moment, end to end: an `exit` set asks its follow-ups in the exit
DM after the reasons; a set whose metric is not the trigger's own asks that metric (its
scale) and then its follow-ups; in a Slack Connect channel each person answers theirs in
their own ephemeral copy; each answer stored once with the set's version."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.core.config import Settings
from bot.core.runtime import Runtime
from bot.devkit.emulator import SlackEmulator
from bot.domain.question_sets import SetError, check_set
from bot.scheduler import drain, run_due
from bot.services import question_sets
from bot.services.surveys import start_relationship_campaign
from storage.models import Account, Contact, FollowUpAnswer, Invitation, Response
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
  quarterly:
    trigger: relationship
    metric: nps
    questions:
      - key: csm_helpful
        type: yes_no
        text: Is your CSM helpful?
      - key: one_change
        type: text
        text: If you could change one thing, what would it be?
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


SHARED = "C0GLOBEXSHARED"
CUSTOMER_TEAM = "TCUSTOMER"


def _shared_tap(emulator: SlackEmulator, user: str, action_id: str, value: str, ts: str) -> dict:
    payload = block_action(
        user=user,
        action_id=action_id,
        value=value,
        channel=SHARED,
        message_ts=ts,
        response_url=emulator.new_response_url(),
        block_id="followup",
        user_team=CUSTOMER_TEAM,
    )
    payload["container"]["is_ephemeral"] = True  # tapped in their private copy
    return payload


async def test_in_a_shared_channel_each_person_answers_their_follow_ups_privately(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    for user, email in (("U0MIA", "mia@globex.test"), ("U0LEE", "lee@globex.test")):
        emulator.add_user(user, email=email, team_id=CUSTOMER_TEAM, dm_error="restricted_action")
    emulator.add_channel(SHARED, ["U0MIA", "U0LEE"])
    await add_people(
        rt.db,
        Person("mia@globex.test", account="Globex"),
        Person("lee@globex.test", account="Globex"),
    )
    async with rt.db.transaction() as session:
        await session.execute(
            update(Account).where(Account.name == "Globex").values(slack_channel=SHARED)
        )
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    await drain(rt)
    [post] = emulator.messages(SHARED)
    mia, lee = sorted(await _rows(rt, Invitation), key=lambda i: i.id or 0)
    value = f"{mia.id},{lee.id}"
    tap = _shared_tap(emulator, "U0MIA", "survey.shared.rate.9", f"{value}:9", post["ts"])
    tap["container"]["is_ephemeral"] = False  # the channel's post
    tap["actions"][0]["block_id"] = "survey.rating"
    assert (await slack.interactive(tap))[0] == 200
    [private] = await eventually(lambda: emulator.calls_to("chat.postEphemeral", ok=True))
    assert private.args["user"] == "U0MIA" and private.args["channel"] == SHARED
    shown = json.dumps(private.args["blocks"])
    assert "Is your CSM helpful?" in shown and "If you could change one thing" in shown
    channel = json.dumps(emulator.messages(SHARED))
    assert "Is your CSM helpful?" not in channel  # never in the channel's post

    quarterly = await _set(rt, "quarterly")
    mine = mia if (await _contact_user(rt, mia)) == "U0MIA" else lee
    yes = _shared_tap(
        emulator,
        "U0MIA",
        f"followup.{quarterly.set_id}.csm_helpful.yes",
        f"{mine.id}:{quarterly.set_id}:csm_helpful:yes",
        post["ts"],
    )
    assert (await slack.interactive(yes))[0] == 200
    [replaced] = await eventually(lambda: emulator.calls_to("response_url", ok=True))
    assert replaced.args["replace_original"] is True
    assert replaced.args["response_type"] == "ephemeral"
    shown = json.dumps(replaced.args["blocks"])
    assert "Yes" in shown and f"followup.{quarterly.set_id}.csm_helpful" not in shown
    assert "followup.text." in shown  # the text question still open

    # Lee cannot answer Mia's follow-up (a forged or replayed tap); Mia's second answer
    # changes nothing
    for user, answer in (("U0LEE", "no"), ("U0MIA", "no")):
        forged = _shared_tap(
            emulator,
            user,
            f"followup.{quarterly.set_id}.csm_helpful.{answer}",
            f"{mine.id}:{quarterly.set_id}:csm_helpful:{answer}",
            post["ts"],
        )
        assert (await slack.interactive(forged))[0] == 200
    notes = await eventually(
        lambda: calls if len(calls := emulator.calls_to("response_url", ok=True)) == 3 else None
    )
    assert all(c.args.get("replace_original") is False for c in notes[1:])
    answers = await _rows(rt, FollowUpAnswer)
    assert [(a.invitation_id, a.question_key, a.value, a.question_set_id) for a in answers] == [
        (mine.id, "csm_helpful", "yes", quarterly.set_id)
    ]
    assert len(emulator.messages(SHARED)) == 1  # nothing posted in the channel


async def _contact_user(rt: Runtime, invitation: Invitation) -> str | None:
    async with rt.db.session() as session:
        contact = await session.get(Contact, invitation.contact_id)
    return contact.slack_user_id if contact else None
