"""Who may read account data and act on cases: `bot/domain/roles.py`'s rule, fed from
the settings, the contacts CSV's CSMs and Slack's `auth.test`.

Every read command, admin command, case action and theme edit asks a `require_…` (or
`role`) here first.
"""

from __future__ import annotations

from collections.abc import Collection
from weakref import WeakKeyDictionary

from slack_sdk.web.async_client import AsyncWebClient

from blocks.catalog import t
from bot.core.runtime import Runtime
from bot.core.slack import error_code
from bot.core.slack_errors import SlackError
from bot.domain.errors import UserError
from bot.domain.roles import Role, Who, changes_case, logs_feedback, reads_accounts, role_of
from bot.domain.user_errors import SlackDidNotSay
from storage import accounts

_WHO_WE_ARE: WeakKeyDictionary[AsyncWebClient, dict[str, str]] = WeakKeyDictionary()
# user id → their team, from users.info; a user id never changes team
_TEAMS: WeakKeyDictionary[AsyncWebClient, dict[str, str]] = WeakKeyDictionary()
TEAMS_KEPT = 10_000


async def _auth(rt: Runtime) -> dict[str, str]:
    """`auth.test`'s team id and workspace URL, asked once per Slack client."""
    known = _WHO_WE_ARE.get(rt.slack)
    if known is None:
        try:
            answer = await rt.slack.auth_test()
        except SlackError as exc:
            raise SlackDidNotSay(who="us") from exc
        known = {"team_id": str(answer.get("team_id") or ""), "url": str(answer.get("url") or "")}
        _WHO_WE_ARE[rt.slack] = known
    return known


async def own_team(rt: Runtime) -> str:
    """Our workspace's team id; people of another team are external."""
    return (await _auth(rt))["team_id"]


async def team_of(rt: Runtime, user_id: str, said: str = "") -> str:
    """The team `user_id` belongs to, as Slack's `users.info` says (kept once known).

    A payload's top-level team is where something happened, not who did it (a Slack Connect
    guest acts in our workspace's channels). `said` is what the payload said of the person's
    own team, used only when Slack does not know the user (`user_not_found`).
    """
    known = _TEAMS.setdefault(rt.slack, {})
    if user_id in known:
        return known[user_id]
    try:
        answer = await rt.slack.users_info(user=user_id)
    except SlackError as exc:
        if error_code(exc) == "user_not_found":
            return said
        raise SlackDidNotSay(who="them") from exc
    user = answer.get("user")
    team = str(user.get("team_id") or "") if isinstance(user, dict) else ""
    if not team:
        return said
    if len(known) >= TEAMS_KEPT:
        known.pop(next(iter(known)))
    known[user_id] = team
    return team


async def is_external(rt: Runtime, user_id: str) -> bool:
    """Whether Slack shows `user_id` in another organisation than our workspace."""
    team = await team_of(rt, user_id)
    ours = await own_team(rt) if team else ""
    return bool(team and ours and team != ours)


async def workspace_url(rt: Runtime) -> str:
    """Our workspace's address, e.g. https://acme.slack.com/ ("" when Slack gave none)."""
    return (await _auth(rt))["url"]


async def role(rt: Runtime, user_id: str, team_id: str = "") -> Role:
    """What `user_id` (of team `team_id`, "" for ours) is to the bot."""
    async with rt.db.session() as session:
        csm = await accounts.is_csm(session=session, user_id=user_id)
    who = Who(
        user_id=user_id,
        team_id=team_id,
        own_team=await own_team(rt),
        admin=rt.settings.is_admin(user_id),
        staff=user_id in rt.settings.voc_staff or user_id in rt.settings.support_managers,
        csm=csm,
    )
    return role_of(who)


async def _locale(rt: Runtime, user_id: str, locale: str | None) -> str | None:
    """The person's language: their contact's locale when they are one, else `locale`."""
    async with rt.db.session() as session:
        contact = await accounts.get_contact_by_slack_user(session=session, slack_user_id=user_id)
    return contact.locale if contact is not None and contact.locale else locale


async def refusal(rt: Runtime, user_id: str, found: Role, locale: str | None = None) -> str:
    """The refusal in the person's language (their contact's locale when they are one)."""
    locale = await _locale(rt, user_id, locale)
    return t(locale, "role.external" if found is Role.EXTERNAL else "role.refused")


async def require_staff(
    rt: Runtime, user_id: str, team_id: str = "", locale: str | None = None
) -> Role:
    """The user's role when they may read account data; else UserError with the refusal."""
    found = await role(rt, user_id, team_id)
    if not reads_accounts(found):
        raise UserError(await refusal(rt, user_id, found, locale))
    return found


async def require_member(
    rt: Runtime, user_id: str, team_id: str = "", locale: str | None = None
) -> Role:
    """The user's role when they may log feedback (anyone of our workspace)."""
    found = await role(rt, user_id, team_id)
    if not logs_feedback(found):
        raise UserError(await refusal(rt, user_id, found, locale))
    return found


async def require_admin(
    rt: Runtime, user_id: str, team_id: str = "", locale: str | None = None, *, verb: str
) -> Role:
    """The user's role when they are an admin (VOC_ADMINS, of our workspace); else UserError
    naming what only admins may do (`verb`: send, ship, plan, autopilot, wording, campaigns)."""
    found = await role(rt, user_id, team_id)
    if found is Role.EXTERNAL:
        raise UserError(await refusal(rt, user_id, found, locale))
    if found is not Role.ADMIN:
        locale = await _locale(rt, user_id, locale)
        raise UserError(t(locale, "role.admin_only", what=t(locale, f"role.admin.{verb}")))
    return found


async def require_case_change(
    rt: Runtime,
    user_id: str,
    team_id: str,
    *,
    claimed_by: str | None,
    deputies: Collection[str | None],
    locale: str | None = None,
) -> None:
    """Refuse, with who owns it, a change to a case someone else owns."""
    found = await require_staff(rt, user_id, team_id, locale)
    if not changes_case(found, user_id, claimed_by=claimed_by, deputies=deputies):
        raise UserError(t(locale, "role.not_owner", owner=claimed_by or ""))
