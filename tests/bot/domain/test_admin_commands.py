"""The admin verbs' one grammar, through both front ends: the same words typed after
`python -m bot VERB` and after `/voc VERB` ask for the same request, or are refused alike."""

from __future__ import annotations

import shlex
from datetime import datetime

import pytest
import typer

from bot.cli import admin_request, cli
from bot.domain.admin_commands import (
    AdminRequest,
    AutopilotChange,
    AutopilotList,
    AutopilotOn,
    CampaignCancel,
    CampaignList,
    CampaignReschedule,
    PlanRequest,
    SendRequest,
    ShipRequest,
    WordingReset,
    WordingSet,
    WordingShow,
    parse_plan,
    parse_ship,
)
from bot.domain.campaigns import CampaignId
from bot.domain.errors import UserError
from bot.domain.user_errors import NotALink
from bot.domain.voc_command import split_command
from bot.domain.vocabulary import Segment, SurveyKind
from handlers.slack.voc_admin import request_of

NPS, CSAT = SurveyKind.NPS, SurveyKind.CSAT
TEMPLATE = "How likely are you to recommend {product}, {first_name}?"

TABLE: list[tuple[str, str, AdminRequest]] = [
    ("send", "nps", SendRequest(NPS)),
    ("send", "CSAT smb", SendRequest(CSAT, Segment.SMB)),
    ("send", "nps --segment mid-market", SendRequest(NPS, Segment.MID_MARKET)),
    ("send", "nps --segment=enterprise --now", SendRequest(NPS, Segment.ENTERPRISE, now=True)),
    ("send", "nps --account Acme --now", SendRequest(NPS, account="Acme", now=True)),
    ("send", "ces --email ana@acme.test", SendRequest(SurveyKind.CES, email="ana@acme.test")),
    ("autopilot", "", AutopilotList()),
    ("autopilot", "list", AutopilotList()),
    ("autopilot", "nps", AutopilotOn(NPS, 90)),
    ("autopilot", "nps 60d smb", AutopilotOn(NPS, 60, Segment.SMB)),
    ("autopilot", "csat --every 12w", AutopilotOn(CSAT, 84)),
    ("autopilot", "nps --every 3m --segment enterprise", AutopilotOn(NPS, 90, Segment.ENTERPRISE)),
    ("autopilot", "pause 1", AutopilotChange(1, "pause")),
    ("autopilot", "stop #2", AutopilotChange(2, "stop")),
    ("wording", "", WordingShow()),
    ("wording", "show", WordingShow()),
    ("wording", f'set nps "{TEMPLATE}"', WordingSet("nps", "en", TEMPLATE)),
    (
        "wording",
        'set csat --lang ms "Puas hati, {first_name}?"',
        WordingSet("csat", "ms", "Puas hati, {first_name}?"),
    ),
    ("wording", 'set csat "Puas hati?" --lang ms', WordingSet("csat", "ms", "Puas hati?")),
    ("wording", "reset ces --lang=ms", WordingReset("ces", "ms")),
    ("wording", "reset nps", WordingReset("nps", "en")),
    ("campaigns", "", CampaignList()),
    ("campaigns", "cancel 3", CampaignCancel(CampaignId(3))),
    ("campaigns", "cancel A1", CampaignCancel(CampaignId(1, autopilot=True))),
    (
        "campaigns",
        'reschedule 3 --at "2026-12-08 09:30"',
        CampaignReschedule(CampaignId(3), datetime(2026, 12, 8, 9, 30)),
    ),
    (
        "campaigns",
        "reschedule 3 2026-12-08",
        CampaignReschedule(CampaignId(3), datetime(2026, 12, 8, 9)),
    ),
]

REFUSED: list[tuple[str, str, str]] = [
    ("send", "", "Say which survey"),
    ("send", "nsp", "use nps, csat or ces"),
    ("send", "nps big", '"big" is not a segment'),
    ("send", "nps --when tomorrow", "I don't know --when"),
    ("send", "nps --segment", "Give --segment a value"),
    ("autopilot", "nps --every often", '"often" is not a period'),
    ("autopilot", "nps 3d", "Every 3 days is out of range"),
    ("autopilot", "ces", "ces follows events"),
    ("autopilot", "pause", "Say which autopilot"),
    ("autopilot", "pause one", "not an autopilot number"),
    ("autopilot", "sometimes", "autopilot list"),
    ("wording", "set nps", "wording show"),
    ("wording", 'set xyz "Hi?"', '"xyz" is not a survey kind'),
    ("wording", 'set nps --lang fr "Hi?"', "not a language I have"),
    ("wording", "reset nps extra", "wording reset nps"),
    ("campaigns", "cancel x1", "is not a campaign id"),
    ("campaigns", "reschedule 1 --at next tuesday", 'write it like "2026-12-08 09:30"'),
    ("campaigns", "reschedule A1 --at 2030-01-01", "An autopilot picks each contact's day"),
    ("campaigns", "drop 1", "campaigns cancel 3"),
]


def from_cli(verb: str, words: str) -> AdminRequest:
    """What `python -m bot VERB words` asks for, read by the command line's own parser."""
    argv = [verb, *shlex.split(words)]
    group = typer.main.get_command(cli)
    top = group.make_context("vocbot", list(argv))
    command = group.get_command(top, verb)  # type: ignore[attr-defined]  # a click Group
    assert command is not None
    context = command.make_context(verb, argv[1:], parent=top)
    return admin_request(verb, context.args)


def from_slack(verb: str, words: str) -> AdminRequest:
    """What `/voc VERB words` asks for, as Slack sends the text (quotes made curly)."""
    typed = f"{verb} {words}".replace(' "', " “").replace('"', "”")
    found, rest = split_command(typed)
    assert found == verb
    return request_of(verb, rest)


@pytest.mark.parametrize(("verb", "words", "expected"), TABLE)
def test_both_front_ends_read_the_same_request(
    verb: str, words: str, expected: AdminRequest
) -> None:
    assert from_cli(verb, words) == expected
    assert from_slack(verb, words) == expected


@pytest.mark.parametrize(("verb", "words", "says"), REFUSED)
def test_both_front_ends_refuse_alike(verb: str, words: str, says: str) -> None:
    for front_end in (from_cli, from_slack):
        with pytest.raises(UserError, match=says):
            front_end(verb, words)


def test_usage_hints_name_the_front_end() -> None:
    with pytest.raises(UserError, match=r"`/voc autopilot list`"):
        from_slack("autopilot", "sometimes")
    with pytest.raises(UserError, match=r"`autopilot list`") as refused:
        from_cli("autopilot", "sometimes")
    assert "/voc" not in str(refused.value)


def test_slack_entities_are_read_as_typed() -> None:
    said = request_of("wording", "set nps Q&amp;A &lt;3, {first_name}?")
    assert said == WordingSet("nps", "en", "Q&A <3, {first_name}?")


# `/voc ship` and `/voc plan` (Slack only): the feature as typed, and the link

SHIPS: list[tuple[str, ShipRequest]] = [
    ("SSO", ShipRequest("SSO")),
    ("  Single sign-on  ", ShipRequest("Single sign-on")),
    ("SSO https://docs.example.com/sso", ShipRequest("SSO", "https://docs.example.com/sso")),
    (
        "Dark mode <https://docs.example.com/dark>",
        ShipRequest("Dark mode", "https://docs.example.com/dark"),
    ),
    ("https://docs.example.com/sso", ShipRequest("https://docs.example.com/sso")),  # the name
    ("SSO docs.example.com", ShipRequest("SSO docs.example.com")),  # no scheme: part of the name
    ("", ShipRequest("")),
]


@pytest.mark.parametrize(("text", "expected"), SHIPS)
def test_ship_reads_the_feature_and_its_link(text: str, expected: ShipRequest) -> None:
    assert parse_ship(text) == expected


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("SSO http://a", "http://a"),
        ("SSO <https://docs.example.com/sso|docs>", "https://docs.example.com/sso|docs"),
        ("SSO https://a<b>c.example", "https://a&lt;b&gt;c.example"),
    ],
)
def test_ship_refuses_a_last_word_that_is_no_link(text: str, shown: str) -> None:
    with pytest.raises(NotALink) as refused:
        parse_ship(text)
    assert str(refused.value) == (
        f'"{shown}" is not a link. Write it like `/voc ship SSO https://docs.example.com/sso`.'
    )


def test_plan_takes_the_whole_text_as_the_feature() -> None:
    assert parse_plan("  Single sign-on ") == PlanRequest("Single sign-on")


def test_request_push_reads_the_number() -> None:
    from bot.domain.admin_commands import RequestPush, parse_request_push
    from bot.domain.user_errors import RequestPushUsage

    assert parse_request_push("push 12") == RequestPush(12)
    assert parse_request_push("PUSH #3") == RequestPush(3)
    assert parse_request_push("12 planned") is None  # another form of `/voc request`
    for typed in ("push", "push SSO", "push 0", "push 1 2"):
        with pytest.raises(RequestPushUsage):
            parse_request_push(typed)
