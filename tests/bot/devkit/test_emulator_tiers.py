"""The emulator's users.list and Slack's tier limits with a time scale."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.devkit.emulator import SlackEmulator
from bot.devkit.emulator_tiers import TierLimits


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_users_list_pages_members_and_guests_with_slacks_flags() -> None:
    async with SlackEmulator() as emulator:
        emulator.add_user("U1", email="ana@acme.test", tz="Europe/Paris")
        emulator.add_user("U2", email="gus@acme.test", guest=True)
        emulator.add_user("U3", email="old@acme.test", deleted=True)
        emulator.add_user("U4", email="mia@globex.test", team_id="TOTHER")  # not ours
        client = AsyncWebClient(token="xoxb-test", base_url=emulator.api_url)
        first = await client.users_list(limit=3, include_locale=True)
        cursor = first["response_metadata"]["next_cursor"]
        second = await client.users_list(limit=3, cursor=cursor)
    people = first["members"] + second["members"]
    assert [p["id"] for p in people] == ["UBOT", "U1", "U2", "U3"]
    assert second["response_metadata"]["next_cursor"] == ""
    by_id = {p["id"]: p for p in people}
    assert by_id["UBOT"]["is_bot"] and by_id["U3"]["deleted"]
    assert by_id["U2"]["is_restricted"] and not by_id["U1"]["is_restricted"]
    assert (by_id["U1"]["tz"], by_id["U1"]["locale"]) == ("Europe/Paris", "en-US")


def test_tiers_refuse_past_the_rate_with_retry_after_in_real_seconds() -> None:
    clock = _Clock()
    tiers = TierLimits(scale=10, clock=clock)
    assert tiers.check("users.list") is None  # Tier 2: 20 a minute, one per 3 s
    refused = tiers.check("users.list")
    assert refused is not None and refused.status == 429
    assert float(refused.headers["Retry-After"]) == 0.3  # 3 s of emulator time at 10x
    assert tiers.check("users.info") is None  # each method has its own bucket
    clock.now = 0.3
    assert tiers.check("users.list") is None
    assert tiers.check("chat.postMessage") is None  # not tiered here
    assert tiers.refused["users.list"] == 1
    assert tiers.floor_seconds({"users.list": 13, "users.info": 3001}) == 1800.0


def test_at_real_time_retry_after_is_whole_seconds() -> None:
    clock = _Clock()
    tiers = TierLimits(clock=clock)
    assert tiers.check("users.lookupByEmail") is None
    refused = tiers.check("users.lookupByEmail")
    assert refused is not None and refused.headers["Retry-After"] == "2"  # 1.2 s, rounded up
