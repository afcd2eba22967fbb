"""Slack payloads parse into the typed models; bodies that do not fit give None, not errors."""

from __future__ import annotations

import logging

import pytest

from handlers.slack.payloads import (
    AppHomeOpened,
    BlockAction,
    BlockSuggestion,
    SlashCommand,
    ViewSubmission,
    origin_of,
    parse,
)
from tests.payloads import (
    app_home_opened,
    block_action,
    block_suggestion,
    slash_command,
    view_submission,
)


def _tap(**extra: str) -> dict:
    return block_action(
        user="U1",
        action_id="survey.rate.9",
        value="7:9",
        channel="D1",
        message_ts="1.000100",
        response_url="http://127.0.0.1/response/R1",
        **extra,
    )


def test_a_block_action_gives_who_where_and_what() -> None:
    action = parse(BlockAction, _tap(locale="ms-MY"))
    assert action is not None
    assert (action.user_id, action.team_id, action.channel_id) == ("U1", "T0001", "D1")
    assert (action.message_ts, action.action_id, action.value) == (
        "1.000100",
        "survey.rate.9",
        "7:9",
    )
    assert action.user.locale == "ms-MY" and action.selected == "" and action.trigger_id


def test_a_menu_action_in_a_view_gives_the_chosen_option_and_the_view() -> None:
    body = _tap()
    body["actions"][0]["selected_option"] = {"value": "request", "text": {"text": "x"}}
    body["view"] = {"id": "V1", "hash": "1.a", "private_metadata": "{}", "state": {}}
    action = parse(BlockAction, body)
    assert action is not None and action.view is not None
    assert (action.selected, action.view.id, action.view.hash) == ("request", "V1", "1.a")


def test_a_view_submission_reads_typed_chosen_and_missing_fields() -> None:
    values = {
        "note": {"note": {"type": "plain_text_input", "value": "called back"}},
        "kind": {"kind": {"type": "static_select", "selected_option": {"value": "fixed"}}},
        "themes": {"themes": {"selected_options": [{"value": "price"}, {"value": "ux"}]}},
        "empty": {"empty": {"type": "static_select", "selected_option": None}},
    }
    body = view_submission(user="U2", callback_id="cb", private_metadata="42", values=values)
    submission = parse(ViewSubmission, body)
    assert submission is not None
    view = submission.view
    assert (submission.user_id, submission.callback_id, submission.private_metadata) == (
        "U2",
        "cb",
        "42",
    )
    assert view.typed("note") == "called back" and view.selected("kind") == "fixed"
    assert view.selected_all("themes") == ["price", "ux"]
    assert view.selected("empty") == "" and view.typed("absent") == ""
    assert view.field("absent", "other").selected_options == []


def test_a_slash_command_a_suggestion_and_home_opened() -> None:
    fields = slash_command(user="U3", text="help", response_url="http://127.0.0.1/r")
    command = parse(SlashCommand, fields)
    assert command is not None
    assert (command.user_id, command.text, command.channel_id) == ("U3", "help", "C0GENERAL")
    typed = block_suggestion(user="U3", action_id="voc.account", block_id="b", value="Acm")
    suggestion = parse(BlockSuggestion, typed)
    assert suggestion is not None and suggestion.value == "Acm"
    opened = parse(AppHomeOpened, app_home_opened(user="U4")["event"])
    assert opened is not None and (opened.user, opened.tab) == ("U4", "home")


@pytest.mark.parametrize(
    ("model", "body"),
    [
        (BlockAction, {**_tap(), "user": None}),
        (BlockAction, {**_tap(), "actions": []}),
        (BlockAction, {**_tap(), "actions": [{"value": "no action id"}]}),
        (ViewSubmission, {"type": "view_submission", "user": {"id": "U1"}, "view": "x"}),
        (ViewSubmission, {"user": {"id": "U1"}, "view": {"state": {"values": []}}}),
        (SlashCommand, {"text": "help"}),
        (AppHomeOpened, {"type": "app_home_opened"}),
    ],
)
def test_a_body_that_does_not_fit_gives_none_and_one_warning_without_content(
    model: type, body: dict, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    assert parse(model, body) is None
    [line] = caplog.records
    assert line.levelno == logging.WARNING and line.payload == model.__name__
    assert "no action id" not in line.getMessage()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (_tap(), ("block_actions", "survey.rate.9", "U1", "D1")),
        (
            view_submission(user="U2", callback_id="cb", private_metadata="", values={}),
            ("view_submission", "cb", "U2", None),
        ),
        (
            slash_command(user="U3", text="", response_url="http://127.0.0.1/r"),
            ("slash_command", "/voc", "U3", "C0GENERAL"),
        ),
        (app_home_opened(user="U4"), ("event_callback", "app_home_opened", "U4", None)),
        ({"user": 5, "actions": "x", "view": []}, ("", "", "", None)),
    ],
)
def test_the_origin_of_any_body(body: dict, expected: tuple) -> None:
    origin = origin_of(body)
    assert (origin.kind, origin.listener, origin.user, origin.channel) == expected
