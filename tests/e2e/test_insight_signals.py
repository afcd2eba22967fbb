"""Readings people can act on, end to end: flags on #voc cards and the insights channel."""

from __future__ import annotations

import json

import pytest

from bot.core.runtime import Runtime
from bot.devkit.emulator import SlackEmulator
from storage.models import Insight
from tests.e2e.test_followups import VOC, _card_json, _survey, _tap
from tests.e2e.test_home import _home_of, _open_home
from tests.e2e.test_voc import ask, rows, seed
from tests.harness import SlackSender, eventually
from tests.payloads import view_submission

pytestmark = pytest.mark.postgres
INSIGHTS = "CINSIGHTS"


def _comment(invitation_id: int, text: str) -> dict:
    return view_submission(
        user="U1",
        callback_id="survey.comment",
        private_metadata=str(invitation_id),
        values={
            "survey.comment": {"survey.comment.input": {"type": "plain_text_input", "value": text}}
        },
    )


async def test_a_churn_risk_shows_on_the_card_with_the_phrase_that_raised_it(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    invitation = await _survey(rt, emulator)
    await _tap(slack, emulator, invitation, 3)
    await eventually(lambda: emulator.messages(VOC))
    assert "Churn risk" not in _card_json(emulator)
    text = "Support is slow & we are switching to Freshdesk when the contract ends"
    await slack.interactive(_comment(invitation.id or 0, text))
    await eventually(lambda: "Freshdesk" in _card_json(emulator))
    card = _card_json(emulator)
    assert "*Churn risk*" in card and "switching to" in card
    assert ":red_circle: negative" in card
    assert "competitor" in card and "slow support" in card


async def test_an_expansion_signal_shows_on_the_card(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    invitation = await _survey(rt, emulator)
    await _tap(slack, emulator, invitation, 5)
    await eventually(lambda: emulator.messages(VOC))
    await slack.interactive(
        _comment(invitation.id or 0, "Buggy, but our finance team wants it too")
    )
    await eventually(lambda: "finance team" in _card_json(emulator))
    card = _card_json(emulator)
    assert "*Expansion*" in card and "wants it too" in card and "product bug" in card


def _shared(emulator: SlackEmulator) -> list[str]:
    return [message["text"] for message in emulator.messages(INSIGHTS)]


async def test_voc_notes_are_shared_once_escaped_and_without_pings(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    rt.settings.insights_channel = INSIGHTS
    await seed(rt.db)
    note = "Globex Corp: <!channel> they're moving to Zendesk & <@U999> agrees, harga mahal"
    assert (await ask(slack, emulator, note)).ok
    [post] = await eventually(lambda: _shared(emulator))
    assert "<!channel>" not in post and "<@U999>" not in post and "<!" not in post
    assert "&lt;!channel&gt;" in post and "&amp;" in post and "&lt;@U999&gt;" in post
    assert "*Globex Corp*" in post and "/voc note" in post
    assert "competitor" in post and "pricing" in post
    assert 'Churn risk* ("moving to")' in post
    [insight] = await rows(rt.db, Insight)
    assert insight.shared_at is not None

    from bot.services.sharing import share_insight

    assert not await share_insight(rt, insight_id=insight.id or 0, now=rt.now())  # once
    assert len(_shared(emulator)) == 1


async def test_survey_comments_are_shared_only_with_a_theme(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    rt.settings.insights_channel = INSIGHTS
    invitation = await _survey(rt, emulator)
    await _tap(slack, emulator, invitation, 9)
    await eventually(lambda: emulator.calls_to("chat.update"))
    await slack.interactive(_comment(invitation.id or 0, "Nothing to add"))
    await eventually(
        lambda: [i for i in emulator.calls_to("chat.update") if "Nothing" in json.dumps(i.args)]
    )
    assert _shared(emulator) == []
    await slack.interactive(_comment(invitation.id or 0, "Sistem lembap gila bila buka laporan"))
    [post] = await eventually(lambda: _shared(emulator))
    assert "Survey comment" in post and "performance" in post and "negative" in post


async def test_nothing_is_shared_when_the_channel_is_unset(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    assert rt.settings.insights_channel is None
    await seed(rt.db)
    assert (await ask(slack, emulator, "Globex Corp: the docs are out of date")).ok
    assert [c for c in emulator.calls_to("chat.postMessage")] == []


async def test_the_csms_app_home_flags_the_case_with_its_phrase(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    invitation = await _survey(rt, emulator)
    await _tap(slack, emulator, invitation, 2)
    await eventually(lambda: emulator.messages(VOC))
    await slack.interactive(_comment(invitation.id or 0, "Kami mungkin beralih ke pesaing"))
    await eventually(lambda: "pesaing" in _card_json(emulator))
    assert await _open_home(slack, "UCSM") == 200
    view = await eventually(lambda: _home_of(emulator, "UCSM"))
    shown = json.dumps(view["blocks"], ensure_ascii=False)
    assert 'Churn risk (\\"beralih\\")' in shown
