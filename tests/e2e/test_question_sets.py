"""Question sets end to end: SURVEYS_FILE's ticket-closed set asks its follow-ups in the
same DM after the score tap (chat.update, no second DM), each answer recorded once with
the set version it was asked in; a changed set never rewrites past answers."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from sqlalchemy import select

from blocks.digest import digest_text
from bot.core.config import Settings
from bot.core.runtime import Runtime
from bot.devkit.emulator import SlackEmulator
from bot.domain.question_sets import check_set
from bot.scheduler import drain, run_due
from bot.services import question_sets
from bot.services.digest import build_digest
from bot.services.export import export_responses
from bot.services.transactional import schedule_for_event
from storage.models import FollowUpAnswer, Invitation, Response
from tests.e2e import test_ingest
from tests.e2e.test_email_surveys import browser, mail_rt, smtp
from tests.e2e.test_ingest import ANA, Hooks
from tests.e2e.test_survey_browser import _screenshot as screenshot
from tests.e2e.test_survey_browser import _wait_for as wait_for
from tests.e2e.test_survey_browser import chrome
from tests.harness import SlackSender, cli_env, eventually, vocbot
from tests.mail import SmtpServer, score_links, text_part
from tests.payloads import block_action, slash_command, view_submission
from tests.seed import Person, add_people

pytestmark = pytest.mark.postgres
hooks = test_ingest.hooks
__all__ = ["browser", "chrome", "mail_rt", "smtp"]  # fixtures of the email survey tests

SURVEYS = """\
surveys:
  after_ticket:
    trigger: ticket_closed
    template: ticket_closed
"""


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    path = tmp_path / "surveys.yaml"
    path.write_text(SURVEYS, encoding="utf-8")
    return settings.model_copy(update={"surveys_file": str(path)})


async def _rows(rt: Runtime, model: type) -> list:
    async with rt.db.session() as session:
        return list((await session.execute(select(model).order_by(model.id))).scalars())


def _dm(emulator: SlackEmulator, channel: str) -> str:
    [message] = emulator.messages(channel)
    return json.dumps(message["blocks"])


def _action(emulator: SlackEmulator, invitation: Invitation, action_id: str, value: str) -> dict:
    return block_action(
        user="U1",
        action_id=action_id,
        value=value,
        channel=invitation.dm_channel or "",
        message_ts=invitation.message_ts or "",
        response_url=emulator.new_response_url(),
        block_id="followup",
    )


async def _scored_ticket(
    rt: Runtime, emulator: SlackEmulator, hooks: Hooks, slack: SlackSender
) -> Invitation:
    emulator.add_user("U1", email=ANA, tz="UTC")
    await add_people(rt.db, Person(ANA, "U1", tz="UTC"))
    assert (await hooks.send(event="ticket_closed"))[0] == 202
    await run_due(rt)
    csat = (await _rows(rt, Invitation))[0]
    tap = _action(emulator, csat, "survey.rate.4", f"{csat.id}:4")
    assert (await slack.interactive(tap))[0] == 200
    await eventually(lambda: emulator.calls_to("chat.update", ok=True))
    return csat


async def test_a_ticket_closed_survey_asks_two_follow_ups_in_the_same_dm(
    rt: Runtime, emulator: SlackEmulator, hooks: Hooks, slack: SlackSender
) -> None:
    csat = await _scored_ticket(rt, emulator, hooks, slack)
    dm = csat.dm_channel or ""
    shown = _dm(emulator, dm)
    assert "Was your issue fully resolved?" in shown
    assert "What could we have done better?" in shown
    [response] = await _rows(rt, Response)
    assert (response.invitation_id, response.score) == (csat.id, 4)  # stored at the tap
    assert [i.kind for i in await _rows(rt, Invitation)] == ["csat"]  # the set's one scale

    [qset] = await question_sets.current(rt, rt.now())
    yes = _action(emulator, csat, f"followup.{qset.set_id}.resolved.yes", "")
    yes["actions"][0]["value"] = f"{csat.id}:{qset.set_id}:resolved:yes"
    assert (await slack.interactive(yes))[0] == 200
    await eventually(lambda: len(emulator.calls_to("chat.update", ok=True)) >= 2)
    text_id = f"followup.text.{csat.id}.{qset.set_id}.do_better"
    typed = _action(emulator, csat, text_id, "Support was too  slow, answer <faster> please")
    assert (await slack.interactive(typed))[0] == 200
    await eventually(lambda: len(emulator.calls_to("chat.update", ok=True)) >= 3)

    answers = await _rows(rt, FollowUpAnswer)
    assert [(a.question_key, a.value, a.question_set_id) for a in answers] == [
        ("resolved", "yes", qset.set_id),
        ("do_better", "Support was too slow, answer <faster> please", qset.set_id),
    ]
    shown = _dm(emulator, dm)
    assert "&gt; Yes" in shown or "> Yes" in shown
    assert "&lt;faster&gt;" in shown and "<faster>" not in shown  # escaped in Slack
    assert "followup.text." not in shown  # answered: the box is gone
    assert len(emulator.calls_to("chat.postMessage", ok=True)) == 1  # one DM all along

    # the export: one column per question, headed by its key, and the set's version
    exported = io.StringIO()
    await export_responses(db=rt.db, out=exported, format="csv")
    [row] = list(csv.DictReader(io.StringIO(exported.getvalue())))
    assert list(row)[-3:] == ["question_set", "resolved", "do_better"]
    assert (row["question_set"], row["resolved"], row["do_better"]) == (
        "after_ticket v1",
        "Yes",
        "Support was too slow, answer <faster> please",
    )

    # the digest: yes/no counted with its share, the text answer themed like a comment
    shown = digest_text(await build_digest(rt, rt.now() + timedelta(days=1)))
    assert "Follow-up answers (90 days)" in shown
    assert "after_ticket · Was your issue fully resolved? (1): Yes 1 (100%)" in shown
    assert (
        "after_ticket · What could we have done better? (1): themes: slow support 1 (100%)" in shown
    )

    # a second answer to the same question records nothing
    again = _action(emulator, csat, f"followup.{qset.set_id}.resolved.no", "")
    again["actions"][0]["value"] = f"{csat.id}:{qset.set_id}:resolved:no"
    assert (await slack.interactive(again))[0] == 200
    await eventually(lambda: emulator.calls_to("response_url"))
    assert [a.value for a in await _rows(rt, FollowUpAnswer)][0] == "yes"


async def test_a_changed_set_keeps_old_answers_on_their_version(
    rt: Runtime, emulator: SlackEmulator, hooks: Hooks, slack: SlackSender
) -> None:
    csat = await _scored_ticket(rt, emulator, hooks, slack)
    [first] = await question_sets.current(rt, rt.now())
    value = f"{csat.id}:{first.set_id}:resolved:no"
    tap = _action(emulator, csat, f"followup.{first.set_id}.resolved.no", value)
    await slack.interactive(tap)
    await eventually(lambda: len(emulator.calls_to("chat.update", ok=True)) >= 2)

    changed = check_set(
        "after_ticket",
        {
            "trigger": "ticket_closed",
            "metric": "csat",
            "questions": [{"key": "resolved", "type": "yes_no", "text": "Is it fixed for good?"}],
        },
    )
    [second] = await question_sets.change(
        rt, {"after_ticket": changed.definition()}, by="UA", now=rt.now()
    )
    assert (first.version, second.version) == (1, 2)
    [kept] = await _rows(rt, FollowUpAnswer)
    assert (kept.question_set_id, kept.value) == (first.set_id, "no")  # not rewritten
    old = await question_sets.versions(rt, "after_ticket")
    assert old[0].follow_ups[0].words("en") == "Was your issue fully resolved?"

    # the survey already answered on version 1 still shows version 1's questions
    shown = await question_sets.card(rt, csat, None, rt.now())
    assert shown is not None and shown.qset.version == 1
    # an answer given with version 1's buttons after the change names version 1
    late = f"{csat.id}:{first.set_id}:do_better:Quicker replies"
    pick = _action(emulator, csat, f"followup.text.{csat.id}.{first.set_id}.do_better", "x")
    pick["actions"][0]["value"] = "Quicker replies"
    await slack.interactive(pick)
    await eventually(lambda: len(emulator.calls_to("chat.update", ok=True)) >= 3)
    assert late and [a.question_set_id for a in await _rows(rt, FollowUpAnswer)] == [
        first.set_id,
        first.set_id,
    ]


async def test_a_set_of_six_questions_is_refused_by_the_modal_service(rt: Runtime) -> None:
    six = {
        "trigger": "renewal",
        "metric": "ces",
        "questions": [{"key": f"q{n}", "type": "text", "text": "Why?"} for n in range(5)],
    }
    with pytest.raises(Exception, match="6 questions; at most 5"):
        await question_sets.change(rt, {"big": six}, by="UA", now=rt.now())
    assert await question_sets.versions(rt, "big") == []


SIX = """\
surveys:
  after_ticket:
    trigger: ticket_closed
    metric: csat
    questions:
      - {key: q1, type: text, text: "1?"}
      - {key: q2, type: text, text: "2?"}
      - {key: q3, type: yes_no, text: "3?"}
      - {key: q4, type: rating, text: "4?"}
      - {key: q5, type: text, text: "5?"}
"""


async def _open_survey_modal(emulator: SlackEmulator, slack: SlackSender) -> dict:
    fields = slash_command(user="UA", text="survey", response_url=emulator.new_response_url())
    assert (await slack.command(fields))[0] == 200
    [opened] = await eventually(lambda: emulator.calls_to("views.open", ok=True))
    return opened.args["view"]


async def test_voc_survey_previews_refuses_six_questions_and_saves_a_new_version(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    view = await _open_survey_modal(emulator, slack)
    shown = json.dumps(view)
    assert "Was your issue fully resolved?" in shown and "after_ticket v1" in shown
    written = next(b for b in view["blocks"] if b.get("block_id") == "voc.survey.definition")
    assert "template: ticket_closed" in written["element"]["initial_value"]

    def submit(text: str, templates: list[str]) -> dict:
        return view_submission(
            user="UA",
            callback_id="voc.survey",
            private_metadata="",
            values={
                "voc.survey.definition": {
                    "voc.survey.definition": {"type": "plain_text_input", "value": text}
                },
                "voc.survey.templates": {
                    "voc.survey.templates": {
                        "type": "multi_static_select",
                        "selected_options": [{"value": t} for t in templates],
                    }
                },
            },
        )

    status, body = await slack.interactive(submit(SIX, []))
    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors"
    assert answer["errors"]["voc.survey.definition"] == (
        "line 2: survey after_ticket: 6 questions; at most 5 (the CSAT score and up to 4 "
        "follow-ups)"
    )
    assert len(await question_sets.versions(rt, "after_ticket")) == 1  # nothing stored

    status, body = await slack.interactive(submit(written["element"]["initial_value"], ["renewal"]))
    assert status == 200 and not body.strip()  # closed
    names = [(s.name, s.version) for s in await question_sets.current(rt, rt.now())]
    assert names == [("after_ticket", 1), ("renewal", 1)]  # the unchanged set kept its version


async def test_the_email_page_asks_the_follow_ups_on_the_same_page(
    mail_rt: Runtime, smtp: SmtpServer, browser: aiohttp.ClientSession
) -> None:
    await add_people(mail_rt.db, Person(ANA, tz="UTC"))
    await schedule_for_event(
        mail_rt,
        event="ticket_closed",
        email=ANA,
        occurred_at=mail_rt.now(),
        context={"ticket_id": "T-1"},
        event_id="evt-1",
        now=mail_rt.now(),
    )
    stored = await _rows(mail_rt, Invitation)
    await drain(mail_rt, max(invitation.due_at for invitation in stored))
    csat_mail = next(m for m in smtp.messages if "How satisfied" in text_part(m))
    link = score_links(csat_mail)[4]
    async with browser.get(link) as response:
        page = await response.text()
    assert "Was your issue fully resolved?" in page
    assert "What could we have done better?" in page
    set_id = re.search(r'name="fq_set" value="(\d+)"', page)
    assert set_id is not None
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf is not None
    form = {
        "csrf": csrf.group(1),
        "score": "4",
        "fq_set": set_id.group(1),
        "fq.resolved": "no",
        "fq.do_better": "Call me <back>",
    }
    async with browser.post(link, data=form) as response:
        assert response.status == 200
        thanks = await response.text()
    assert "Thank you! Your answer: 4." in thanks
    [response_row] = await _rows(mail_rt, Response)
    answers = await _rows(mail_rt, FollowUpAnswer)
    assert [(a.invitation_id, a.question_key, a.value) for a in answers] == [
        (response_row.invitation_id, "resolved", "no"),
        (response_row.invitation_id, "do_better", "Call me <back>"),
    ]
    assert {a.question_set_id for a in answers} == {int(set_id.group(1))}


BAD_FILE = """\
surveys:
  after_ticket:
    trigger: ticket_closed
    metric: csat
    questions:
      - key: resolved
        type: yes_no
        text: Resolved?
      - key: why
        type: choice
        text: Why?
        options: []
  later:
    trigger: anniversary
    metric: nps
"""


@pytest.mark.slow  # four processes
async def test_a_bad_surveys_file_stops_start_up_naming_each_problem_by_line(
    emulator: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "surveys.yaml"
    path.write_text(BAD_FILE, encoding="utf-8")
    env = cli_env(
        api_url=emulator.api_url, database_url=database_url, home=tmp_path, SURVEYS_FILE=str(path)
    )
    code, _, err = await vocbot(env, "surveys", "list", cwd=tmp_path)
    assert code == 2
    [line] = err.strip().splitlines()
    assert line.startswith(f"error: SURVEYS_FILE='{path}' is not valid: ")
    assert "line 9: survey after_ticket, question 2 (why): empty option list" in line
    assert "line 13: survey later: unknown trigger 'anniversary'" in line

    code, _, err = await vocbot(
        env | {"SURVEYS_FILE": ""}, "surveys", "check", str(path), cwd=tmp_path
    )
    assert code == 1
    assert err.splitlines() == [
        f"{path}:9: survey after_ticket, question 2 (why): empty option list; a choice needs 1–8",
        f"{path}:13: survey later: unknown trigger 'anniversary' (known: relationship, "
        "ticket_closed, onboarding, training, renewal, exit, onboarding_day_N)",
    ]

    path.write_text(SURVEYS, encoding="utf-8")  # fixed: it starts, and lists the set
    code, out, _ = await vocbot(env, "surveys", "list", cwd=tmp_path)
    assert (code, out) == (0, "after_ticket v1: ticket_closed, CSAT + resolved, do_better\n")
    code, out, _ = await vocbot(env, "surveys", "show", "after_ticket", cwd=tmp_path)
    assert code == 0 and "[resolved, yes/no] Was your issue fully resolved?" in out
    assert "ms: Adakah isu anda diselesaikan sepenuhnya?" in out


async def test_the_follow_ups_on_the_page_in_a_real_browser(
    mail_rt: Runtime, smtp: SmtpServer, chrome: webdriver.Chrome
) -> None:
    """Chromium on a phone: the follow-ups fit the width, are answered with the score."""
    await add_people(mail_rt.db, Person(ANA, tz="UTC"))
    await schedule_for_event(
        mail_rt,
        event="ticket_closed",
        email=ANA,
        occurred_at=mail_rt.now(),
        context={},
        event_id="evt-2",
        now=mail_rt.now(),
    )
    await drain(mail_rt, max(i.due_at for i in await _rows(mail_rt, Invitation)))
    csat_mail = next(m for m in smtp.messages if "How satisfied" in text_part(m))
    await asyncio.to_thread(chrome.get, score_links(csat_mail)[5])
    script = "return document.documentElement.scrollWidth"
    assert await asyncio.to_thread(chrome.execute_script, script) <= 375
    no = await asyncio.to_thread(
        chrome.find_element, By.CSS_SELECTOR, 'input[name="fq.resolved"][value="no"]'
    )
    await asyncio.to_thread(no.click)
    box = await asyncio.to_thread(chrome.find_element, By.ID, "fq-do_better")
    await asyncio.to_thread(box.send_keys, "Reply sooner")
    await asyncio.to_thread(screenshot, chrome, "survey-followups-375.png")
    button = await asyncio.to_thread(chrome.find_element, By.ID, "submit")
    await asyncio.to_thread(button.click)
    await asyncio.to_thread(wait_for, chrome, "h1#result")
    answers = await _rows(mail_rt, FollowUpAnswer)
    assert [(a.question_key, a.value) for a in answers] == [
        ("resolved", "no"),
        ("do_better", "Reply sooner"),
    ]
