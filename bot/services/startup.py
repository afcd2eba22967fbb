"""What a long-running process checks with Slack before it starts: the token and #voc."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.core.runtime import Runtime
from bot.core.slack import CONFIG_ERRORS, error_code
from bot.core.slack_errors import SlackError
from bot.domain.user_errors import TokenRefused

log = logging.getLogger(__name__)
MEMBER_PAGES = 20  # 20,000 members: enough to find the bot in any #voc channel


@dataclass(frozen=True)
class Identity:
    """Who the token is: the workspace and the bot's handle."""

    team: str
    bot_name: str
    bot_user_id: str


async def check_slack(rt: Runtime) -> Identity:
    """`auth.test` the token (a refused token is a ConfigError), then warn about #voc."""
    try:
        answer = await rt.slack.auth_test()
    except SlackError as exc:
        code = error_code(exc)
        if code in CONFIG_ERRORS:
            raise TokenRefused(code=code) from None
        raise
    identity = Identity(
        team=str(answer.get("team") or answer.get("team_id") or "?"),
        bot_name=str(answer.get("user") or "?"),
        bot_user_id=str(answer.get("user_id") or ""),
    )
    await _check_voc_channel(rt, identity)
    return identity


async def _check_voc_channel(rt: Runtime, identity: Identity) -> None:
    channel = rt.settings.voc_channel
    if not channel:
        log.warning(
            "VOC_CHANNEL is not set: follow-up cards and the digest have nowhere to go; "
            "set it to the channel id (C...) of your #voc channel"
        )
        return
    if not await _bot_is_member(rt, channel, identity.bot_user_id):
        log.warning(
            "the bot is not in VOC_CHANNEL: invite it there (/invite and the app's name), "
            "or cards and the digest will not be posted",
            extra={"channel": channel},
        )


async def _bot_is_member(rt: Runtime, channel: str, bot_user_id: str) -> bool:
    cursor: str | None = None
    try:
        for _ in range(MEMBER_PAGES):
            page = await rt.slack.conversations_members(channel=channel, limit=1000, cursor=cursor)
            if bot_user_id in page.get("members", []):
                return True
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return False
    except SlackError as exc:
        log.warning("could not check VOC_CHANNEL", extra={"error": error_code(exc)})
        return error_code(exc) not in ("not_in_channel", "channel_not_found")
    return True  # a channel this large: assume the bot is in it rather than warn wrongly
