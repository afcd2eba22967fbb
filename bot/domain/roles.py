"""Who may see and do what: the one rule, with no I/O (`bot/services/roles.py` feeds it)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a Slack user is to the bot, from least to most trusted."""

    EXTERNAL = "external"  # another organisation (Slack Connect): sees only their own surveys
    MEMBER = "member"  # our workspace, not staff: may log feedback with /voc
    STAFF = "staff"  # VOC_STAFF or a CSM named in the contacts CSV: reads and acts
    ADMIN = "admin"  # VOC_ADMINS: everything, including other people's cases


@dataclass(frozen=True)
class Who:
    """A Slack user and what the bot knows of them."""

    user_id: str
    team_id: str  # "" when the payload did not say (then taken as our own workspace)
    own_team: str  # our workspace's team id, from auth.test ("" when unknown)
    admin: bool
    staff: bool  # in VOC_STAFF or SUPPORT_MANAGERS
    csm: bool  # the CSM of some account


def role_of(who: Who) -> Role:
    """The user's role: another team's people are external, whatever lists name them."""
    if who.team_id and who.own_team and who.team_id != who.own_team:
        return Role.EXTERNAL
    if who.admin:
        return Role.ADMIN
    if who.staff or who.csm:
        return Role.STAFF
    return Role.MEMBER


def reads_accounts(role: Role) -> bool:
    """Account data (verbatims, names, ARR, NPS) and acting on cases and themes."""
    return role in (Role.STAFF, Role.ADMIN)


def logs_feedback(role: Role) -> bool:
    """Anyone of our own workspace may log feedback with /voc."""
    return role is not Role.EXTERNAL


def changes_case(
    role: Role, user_id: str, *, claimed_by: str | None, deputies: Collection[str | None]
) -> bool:
    """Log an outcome on, release or reopen a case.

    Staff may act on an unclaimed case; once claimed, only its owner, its deputies (the
    account's CSM; for low CSAT and CES, the support managers) or an admin may.
    """
    if not reads_accounts(role):
        return False
    if role is Role.ADMIN or claimed_by is None:
        return True
    return user_id == claimed_by or user_id in deputies
