"""The Slack emulator, driven by the real slack_sdk client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import ActionsBlock, ButtonElement, HeaderBlock, SectionBlock
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.devkit.emulator import SlackEmulator, validate_blocks, validate_view

METADATA = {"event_type": "survey_sent", "event_payload": {"invitation_id": 7}}


@pytest.fixture
async def emulator() -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator() as running:
        running.add_user(
            "U1", email="ana@acme.test", name="Ana", tz="Asia/Kuala_Lumpur", locale="ms-MY"
        )
        yield running


@pytest.fixture
def client(emulator: SlackEmulator) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=emulator.api_url)


def _section(text: str, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if block_id:
        block["block_id"] = block_id
    return block


def _button(text: str, action_id: str = "go") -> dict[str, Any]:
    return {
        "type": "actions",
        "elements": [
            {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": text}}
        ],
    }


def _modal(title: str = "Tell us why", **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "why",
        "title": {"type": "plain_text", "text": title},
        "blocks": [_section("Thanks")],
        **extra,
    }


async def _error(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        await call
    return caught.value


async def test_dm_post_and_history_round_trip_metadata(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    first = await client.chat_postMessage(
        channel="U1", text="How likely…", blocks=[_section("Rate us")], metadata=METADATA
    )
    second = await client.chat_postMessage(channel="U1", text="reminder")
    dm = emulator.dm_channel("U1")
    assert dm.startswith("D") and first["channel"] == dm == second["channel"]
    assert first["ts"] < second["ts"] and first["message"]["metadata"] == METADATA

    history = await client.conversations_history(channel=dm, include_all_metadata=True)
    assert [m["ts"] for m in history["messages"]] == [second["ts"], first["ts"]]
    assert history["messages"][1]["metadata"] == METADATA
    plain = await client.conversations_history(channel=dm)
    assert all("metadata" not in m for m in plain["messages"])

    [stored, _] = emulator.messages("U1")
    assert stored == {
        "ts": first["ts"],
        "channel": dm,
        "text": "How likely…",
        "blocks": [_section("Rate us")],
        "metadata": METADATA,
        "thread_ts": None,
        "user": "UBOT",
    }
    assert emulator.messages(dm) == emulator.messages("U1")


async def test_history_filters_exclusively_and_pages(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    ts = [(await client.chat_postMessage(channel="C1", text=str(i)))["ts"] for i in range(5)]
    await client.chat_postMessage(channel="C1", text="reply", thread_ts=ts[0])

    window = await client.conversations_history(channel="C1", oldest=ts[1], latest=ts[4])
    assert [m["text"] for m in window["messages"]] == ["3", "2"]

    page = await client.conversations_history(channel="C1", limit=3)
    assert [m["text"] for m in page["messages"]] == ["4", "3", "2"] and page["has_more"]
    cursor = page["response_metadata"]["next_cursor"]
    rest = await client.conversations_history(channel="C1", limit=3, cursor=cursor)
    assert [m["text"] for m in rest["messages"]] == ["1", "0"] and not rest["has_more"]


async def test_an_injected_clock_sets_ts() -> None:
    start = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    async with SlackEmulator(clock=lambda: start) as emulator:
        sdk = AsyncWebClient(token="xoxb-test", base_url=emulator.api_url)
        first = await sdk.chat_postMessage(channel="C1", text="a")
        second = await sdk.chat_postMessage(channel="C1", text="b")
    assert first["ts"] == f"{start.timestamp():.0f}.000000"
    assert second["ts"] == f"{start.timestamp():.0f}.000001"


async def test_chat_update_replaces_content_and_refuses_bad_updates(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(channel="U1", text="old", metadata=METADATA)
    dm, ts = posted["channel"], posted["ts"]

    updated = await client.chat_update(channel=dm, ts=ts, text="new", blocks=[_section("Done")])
    assert (updated["channel"], updated["ts"], updated["text"]) == (dm, ts, "new")
    [message] = emulator.messages(dm)
    assert message["text"] == "new" and message["blocks"] == [_section("Done")]
    assert message["metadata"] == METADATA

    missing = await _error(client.chat_update(channel=dm, ts="1.000001", text="x"))
    assert missing.response["error"] == "message_not_found"
    too_long = await _error(client.chat_update(channel=dm, ts=ts, text="x" * 4_001))
    assert too_long.response["error"] == "msg_too_long"
    assert emulator.messages(dm)[0]["text"] == "new"
    assert [c.ok for c in emulator.calls_to("chat.update")] == [True, False, False]


async def test_post_needs_text_or_blocks_and_caps_text(client: AsyncWebClient) -> None:
    empty = await _error(client.api_call("chat.postMessage", json={"channel": "C1"}))
    assert empty.response["error"] == "no_text"
    huge = await _error(client.chat_postMessage(channel="C1", text="x" * 40_001))
    assert huge.response["error"] == "msg_too_long"


async def test_all_three_request_forms_are_understood(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    opened = await client.conversations_open(users="U1")  # POST, args in the query string
    info = await client.users_info(user="U1")  # GET
    await client.chat_postMessage(channel="C1", text="hi", metadata=METADATA)  # JSON body
    assert opened["channel"]["id"] == emulator.dm_channel("U1")
    assert info["user"]["id"] == "U1"

    [open_call] = emulator.calls_to("conversations.open")
    [info_call] = emulator.calls_to("users.info")
    [post_call] = emulator.calls_to("chat.postMessage")
    assert (open_call.http_method, open_call.args["users"]) == ("POST", "U1")
    assert (info_call.http_method, info_call.args["user"]) == ("GET", "U1")
    assert post_call.http_method == "POST" and post_call.args["metadata"] == METADATA

    form = {"token": "xoxb-test", "channel": "C1", "blocks": json.dumps([_section("form")])}
    async with aiohttp.ClientSession() as session:
        async with session.post(emulator.api_url + "chat.postMessage", data=form) as response:
            assert (await response.json())["ok"] is True
    assert emulator.calls_to("chat.postMessage")[-1].args["blocks"] == [_section("form")]


async def test_tokens_are_checked_and_unknown_methods_refused(emulator: SlackEmulator) -> None:
    async def answer(method: str, headers: dict[str, str]) -> str:
        async with aiohttp.ClientSession() as session:
            async with session.post(emulator.api_url + method, headers=headers) as response:
                return (await response.json()).get("error", "ok")

    assert await answer("auth.test", {}) == "not_authed"
    assert await answer("auth.test", {"Authorization": "Bearer xoxp-user"}) == "invalid_auth"
    assert await answer("auth.test", {"Authorization": "Bearer xoxb-1"}) == "ok"
    assert await answer("chat.nonsense", {"Authorization": "Bearer xoxb-1"}) == "unknown_method"


async def test_auth_test_names_the_bot(client: AsyncWebClient) -> None:
    answer = await client.auth_test()
    assert (answer["user_id"], answer["team_id"]) == ("UBOT", "T0001")
    assert answer["bot_id"] and answer["url"].startswith("https://")


async def test_fail_429_sends_retry_after_and_changes_nothing(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    emulator.fail("chat.postMessage", status=429, retry_after=7)
    limited = await _error(client.chat_postMessage(channel="U1", text="hi"))
    assert limited.response.status_code == 429
    assert limited.response.headers["Retry-After"] == "7"
    assert limited.response["error"] == "ratelimited"
    assert emulator.messages("U1") == []

    await client.chat_postMessage(channel="U1", text="hi")
    assert [c.ok for c in emulator.calls_to("chat.postMessage")] == [False, True]
    assert len(emulator.messages("U1")) == 1


async def test_fail_503_and_slack_errors_then_clearing(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    emulator.fail("users.info", status=503)
    emulator.fail("users.info", error="missing_scope")
    assert (await _error(client.users_info(user="U1"))).response.status_code == 503
    scoped = await _error(client.users_info(user="U1"))
    assert (scoped.response.status_code, scoped.response["error"]) == (200, "missing_scope")
    assert (await client.users_info(user="U1"))["ok"]

    emulator.fail("users.info", status=500, times=3)
    emulator.fail("users.info", status=500, times=0)
    assert (await client.users_info(user="U1"))["ok"]


async def test_rate_limit_is_a_token_bucket() -> None:
    now = [100.0]  # the buckets' clock, moved by hand
    async with SlackEmulator(monotonic=lambda: now[0]) as emulator:
        emulator.add_user("U1", email="u1@acme.test")
        client = AsyncWebClient(token="xoxb-test", base_url=emulator.api_url)
        emulator.rate_limit("users.info", 2, burst=2)
        await client.users_info(user="U1")
        await client.users_info(user="U1")
        limited = await _error(client.users_info(user="U1"))
        assert limited.response.status_code == 429
        assert limited.response.headers["Retry-After"] == "1"
        now[0] += 0.4  # 0.8 of a token: still refused
        assert (await _error(client.users_info(user="U1"))).response.status_code == 429
        now[0] += 0.2  # one token
        assert (await client.users_info(user="U1"))["ok"]


async def test_fail_randomly_is_seeded() -> None:
    async def pattern() -> list[bool]:
        async with SlackEmulator() as emulator:
            emulator.fail_randomly("auth.test", status=503, probability=0.3, seed=42)
            sdk = AsyncWebClient(token="xoxb-test", base_url=emulator.api_url)
            for _ in range(30):
                try:
                    await sdk.auth_test()
                except SlackApiError as error:
                    assert error.response.status_code == 503
            return [c.ok for c in emulator.calls]

    first, second = await pattern(), await pattern()
    assert first == second and 0 < first.count(False) < 30


@pytest.mark.parametrize(
    ("blocks", "reason"),
    [
        ([_section(str(i)) for i in range(51)], "51 blocks, over 50"),
        ([_button("x" * 76)], "text is 76 chars, over 75"),
        ([_section("a", "same"), _section("b", "same")], "duplicate block_id 'same'"),
        ([{"type": "sectoin", "text": {"type": "mrkdwn", "text": "x"}}], "unknown block type"),
        ([_section("")], "non-empty"),
    ],
)
async def test_invalid_blocks_are_refused(
    emulator: SlackEmulator, client: AsyncWebClient, blocks: list[dict[str, Any]], reason: str
) -> None:
    refused = await _error(client.chat_postMessage(channel="U1", text="t", blocks=blocks))
    assert refused.response["error"] == "invalid_blocks"
    assert any(reason in problem for problem in refused.response["errors"])
    assert emulator.messages("U1") == []


async def test_modal_title_over_24_chars_is_refused(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    refused = await _error(client.views_open(trigger_id="t1", view=_modal("x" * 25)))
    assert refused.response["error"] == "invalid_blocks"
    assert "view.title: text is 25 chars, over 24" in refused.response["errors"]
    assert emulator.views == {}


def test_validators_accept_good_blocks_and_name_each_limit() -> None:
    built = [
        HeaderBlock(text="Survey").to_dict(),
        SectionBlock(text="How likely…", block_id="q").to_dict(),
        ActionsBlock(
            block_id="a", elements=[ButtonElement(text="10", action_id="rate", value="1:10")]
        ).to_dict(),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "small print"}]},
        {"type": "divider"},
    ]
    assert validate_blocks(built, limit=50) == []
    assert validate_blocks([_section("x")] * 51, limit=100) == []

    select = {
        "type": "static_select",
        "action_id": "pick",
        "options": [
            {"text": {"type": "plain_text", "text": "o"}, "value": str(i)} for i in range(101)
        ],
    }
    one = {"text": {"type": "plain_text", "text": "o"}, "value": "v" * 151}
    long_value = {**select, "options": [one]}
    cases = {
        "header": {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}},
        "fields": {"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11},
        "section": _section("s" * 3_001),
        "context": {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11},
        "actions": {"type": "actions", "elements": [_button("b")["elements"][0]] * 26},
        "options": {"type": "actions", "elements": [select]},
        "value": {"type": "actions", "elements": [long_value]},
        "dup_action": {"type": "actions", "elements": [_button("b")["elements"][0]] * 2},
        "block_id": _section("x", "b" * 256),
        "max_length": {
            "type": "input",
            "label": {"type": "plain_text", "text": "Why?"},
            "element": {"type": "plain_text_input", "action_id": "w", "max_length": 3_001},
        },
    }
    for name, block in cases.items():
        assert validate_blocks([block], limit=50), name


def test_view_validation() -> None:
    assert validate_view(_modal()) == []
    assert validate_view({"type": "home", "blocks": [_section("x")] * 100}) == []
    assert validate_view({"type": "home", "blocks": [_section("x")] * 101})
    assert validate_view({"type": "modal", "blocks": []})  # no title
    assert validate_view(_modal(private_metadata="m" * 3_001))
    assert validate_view(_modal(close={"type": "plain_text", "text": "c" * 25}))
    with_input = _modal(
        blocks=[
            {
                "type": "input",
                "label": {"type": "plain_text", "text": "Why?"},
                "element": {"type": "plain_text_input", "action_id": "why"},
            }
        ]
    )
    assert any("submit" in problem for problem in validate_view(with_input))
    submit = {"type": "plain_text", "text": "Send"}
    assert validate_view({**with_input, "submit": submit}) == []


async def test_user_lookups_and_dm_errors(emulator: SlackEmulator, client: AsyncWebClient) -> None:
    emulator.add_user("U2", dm_error="cannot_dm_bot")
    emulator.add_user("U3", deleted=True)
    emulator.add_user("U4", dm_error="messages_tab_disabled")

    found = await client.users_lookupByEmail(email="ana@acme.test")
    assert found["user"]["id"] == "U1"
    nobody = await _error(client.users_lookupByEmail(email="ghost@acme.test"))
    assert nobody.response["error"] == "users_not_found"

    info = (await client.users_info(user="U1", include_locale=True))["user"]
    assert (info["tz"], info["tz_offset"], info["locale"]) == ("Asia/Kuala_Lumpur", 28_800, "ms-MY")
    assert info["profile"]["email"] == "ana@acme.test"
    assert "locale" not in (await client.users_info(user="U1"))["user"]
    assert (await _error(client.users_info(user="U9"))).response["error"] == "user_not_found"

    async def post_error(user: str) -> str:
        return (await _error(client.chat_postMessage(channel=user, text="hi"))).response["error"]

    assert await post_error("U2") == "cannot_dm_bot"
    assert await post_error("U3") == "account_inactive"
    assert await post_error("U9") == "channel_not_found"
    assert await post_error(emulator.dm_channel("U4")) == "messages_tab_disabled"
    closed = await _error(client.conversations_open(users="U3"))
    assert closed.response["error"] == "account_inactive"
    assert emulator.calls_to("chat.postMessage", ok=True) == []


async def test_trigger_ids_work_once_and_views_are_stored(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    opened = await client.views_open(trigger_id="1.1.trigger", view=_modal(external_id="e1"))
    view_id = opened["view"]["id"]
    assert view_id.startswith("V") and opened["view"]["callback_id"] == "why"
    assert emulator.views[view_id]["kind"] == "modal"
    assert emulator.views[view_id]["trigger_id"] == "1.1.trigger"

    again = await _error(client.views_open(trigger_id="1.1.trigger", view=_modal()))
    assert again.response["error"] == "expired_trigger_id"
    assert list(emulator.views) == [view_id]

    await client.views_update(external_id="e1", view=_modal("Updated", external_id="e1"))
    assert emulator.views[view_id]["view"]["title"]["text"] == "Updated"

    home = {"type": "home", "blocks": [_section("Welcome")]}
    published = await client.views_publish(user_id="U1", view=home)
    republished = await client.views_publish(user_id="U1", view=home)
    assert published["view"]["id"] == republished["view"]["id"]
    assert emulator.views[published["view"]["id"]]["user_id"] == "U1"
    assert emulator.views[published["view"]["id"]]["kind"] == "home"


async def test_hang_after_store_keeps_the_message_and_withholds_the_answer() -> None:
    emulator = SlackEmulator()
    await emulator.start()
    emulator.add_user("U1")
    stored = emulator.hang_after_store("chat.postMessage")
    sdk = AsyncWebClient(token="xoxb-test", base_url=emulator.api_url, timeout=1)

    with pytest.raises(TimeoutError):
        await sdk.chat_postMessage(channel="U1", text="survey", metadata=METADATA)
    assert stored.is_set()
    [message] = emulator.messages("U1")
    assert message["metadata"] == METADATA
    assert [c.ok for c in emulator.calls_to("chat.postMessage")] == [True]

    assert (await sdk.chat_postMessage(channel="U1", text="next"))["ok"]  # only once

    # A caller still waiting on a held answer gets it when the emulator stops, rather than
    # a dropped connection once the server gives up on its handlers.
    held = emulator.hang_after_store("chat.postMessage")
    async with aiohttp.ClientSession() as session:
        waiting = asyncio.create_task(
            session.post(
                f"{emulator.api_url}chat.postMessage",
                data={"channel": "U1", "text": "held"},
                headers={"Authorization": "Bearer xoxb-test"},
            )
        )
        await held.wait()
        await emulator.stop()
        async with await waiting as response:
            assert response.status == 200 and (await response.json())["ok"]


async def test_response_url_posts_are_recorded(emulator: SlackEmulator) -> None:
    url = emulator.new_response_url()
    assert url.startswith(emulator.url) and url != emulator.new_response_url()
    answer = await AsyncWebhookClient(url).send(text="already answered", replace_original=False)
    assert answer.status_code == 200
    [call] = emulator.calls_to("response_url")
    assert call.args == {"text": "already answered", "replace_original": False}

    unknown = await AsyncWebhookClient(emulator.url + "response/nope").send(text="x")
    assert unknown.status_code == 404


async def test_files_upload_flow(emulator: SlackEmulator, client: AsyncWebClient) -> None:
    done = await client.files_upload_v2(
        content=b"\x89PNG...", filename="x.png", channel="C1", initial_comment="chart"
    )
    file_id = done["file"]["id"]
    assert emulator.uploaded_files() == {file_id: b"\x89PNG..."}
    assert emulator.files[file_id]["channels"] == ["C1"]
    [shared] = emulator.messages("C1")
    assert shared["text"] == "chart" and shared["files"][0]["id"] == file_id
    [url_call] = emulator.calls_to("files.getUploadURLExternal")
    assert url_call.args["length"] == str(len(b"\x89PNG..."))


async def test_ephemeral_and_reactions(emulator: SlackEmulator, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="C1", text="hi")
    ephemeral = await client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    assert ephemeral["message_ts"] > posted["ts"]
    assert [m["text"] for m in emulator.messages("C1")] == ["hi"]

    await client.reactions_add(channel="C1", timestamp=posted["ts"], name="white_check_mark")
    again = client.reactions_add(channel="C1", timestamp=posted["ts"], name="white_check_mark")
    assert (await _error(again)).response["error"] == "already_reacted"


async def test_slack_connect_users_channels_and_dm_refusal(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    emulator.add_user("UEXT1", email="Mia@Customer.test", team_id="TCUST", locale="ms-MY")
    emulator.add_user("UEXT2", email="lee@customer.test", team_id="TCUST")
    emulator.add_user(
        "UEXT3", email="ola@customer.test", team_id="TCUST", dm_error="restricted_action"
    )

    nobody = await _error(client.users_lookupByEmail(email="mia@customer.test"))
    assert nobody.response["error"] == "users_not_found"  # only members are found by email
    info = (await client.users_info(user="UEXT1", include_locale=True))["user"]
    assert (info["team_id"], info["profile"]["email"], info["locale"]) == (
        "TCUST",
        "Mia@Customer.test",
        "ms-MY",
    )

    async def post_error(channel: str) -> str:
        return (await _error(client.chat_postMessage(channel=channel, text="hi"))).response["error"]

    assert await post_error("UEXT1") == "invalid_user_combination"  # shares no channel yet
    emulator.add_channel("C0SHARED1", ["UEXT1", "UEXT3"])
    emulator.add_channel("C0NOTBOT1", ["UEXT2"], bot_member=False)
    assert (await client.chat_postMessage(channel="UEXT1", text="hi"))["ok"]
    assert await post_error("UEXT2") == "invalid_user_combination"
    assert await post_error("UEXT3") == "restricted_action"
    assert await post_error("C0NOTBOT1") == "not_in_channel"

    members = await client.conversations_members(channel="C0SHARED1", limit=2)
    assert members["members"] == ["UBOT", "UEXT1"]
    cursor = members["response_metadata"]["next_cursor"]
    rest = await client.conversations_members(channel="C0SHARED1", limit=2, cursor=cursor)
    assert rest["members"] == ["UEXT3"] and rest["response_metadata"]["next_cursor"] == ""
    unread = await _error(client.conversations_members(channel="C0NOTBOT1"))
    assert unread.response["error"] == "not_in_channel"
    missing = await _error(client.conversations_members(channel="C0GONE001"))
    assert missing.response["error"] == "channel_not_found"
