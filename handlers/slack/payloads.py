"""Slack payloads parsed once, where they arrive, into typed models.

Each listener acks, then calls `parse(Model, body)`: the typed payload, or None (logged once
at WARNING, with no content) for a body that does not fit, which the listener answers
politely instead of failing. The shapes are the ones `bot/devkit/payloads.py` builds.
Unknown fields are ignored: Slack adds fields over time.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class SlackUser(_Payload):
    id: str
    locale: str | None = None  # only when the app asks Slack for it
    team_id: str | None = None  # the person's own team: another one in Slack Connect


def _home_team(user: SlackUser, team: Team) -> str:
    """The team the person belongs to (theirs in Slack Connect), else the payload's."""
    return user.team_id or team.id


class Team(_Payload):
    id: str = ""


class Option(_Payload):
    """A chosen option of a select menu."""

    value: str = ""


class Action(_Payload):
    """One element of `actions`: the button tapped or the menu changed."""

    action_id: str
    value: str | None = None
    selected_option: Option | None = None


class Container(_Payload):
    channel_id: str | None = None
    message_ts: str | None = None


class FieldState(_Payload):
    """One input's state in a view: typed text, one chosen option, or several."""

    value: str | None = None
    selected_option: Option | None = None
    selected_options: list[Option] = Field(default_factory=list)


class ViewState(_Payload):
    values: dict[str, dict[str, FieldState]] = Field(default_factory=dict)


class View(_Payload):
    """A modal as Slack sends it back: its id, metadata and what was typed in it."""

    id: str = ""
    hash: str | None = None
    callback_id: str = ""
    private_metadata: str = ""
    state: ViewState = Field(default_factory=ViewState)
    blocks: list[dict[str, Any]] = Field(default_factory=list)

    def field(self, block_id: str, action_id: str | None = None) -> FieldState:
        """The state of one input (`action_id` defaults to `block_id`); empty when absent."""
        return self.state.values.get(block_id, {}).get(action_id or block_id) or FieldState()

    def typed(self, block_id: str, action_id: str | None = None) -> str:
        """The text typed into an input, "" when none."""
        return self.field(block_id, action_id).value or ""

    def selected(self, block_id: str, action_id: str | None = None) -> str:
        """The value of the option chosen in a select, "" when none."""
        option = self.field(block_id, action_id).selected_option
        return option.value if option else ""

    def selected_all(self, block_id: str, action_id: str | None = None) -> list[str]:
        """The values chosen in a multi-select, in order."""
        return [o.value for o in self.field(block_id, action_id).selected_options]

    @property
    def block_ids(self) -> set[str]:
        return {str(block.get("block_id")) for block in self.blocks if block.get("block_id")}


class BlockAction(_Payload):
    """A `block_actions` payload: a button tapped or a menu changed, in a message or a view."""

    user: SlackUser
    team: Team = Field(default_factory=Team)
    actions: list[Action] = Field(min_length=1)
    container: Container = Field(default_factory=Container)
    trigger_id: str = ""
    response_url: str | None = None
    view: View | None = None

    @property
    def user_id(self) -> str:
        return self.user.id

    @property
    def team_id(self) -> str:
        return self.team.id

    @property
    def user_team(self) -> str:
        return _home_team(self.user, self.team)

    @property
    def channel_id(self) -> str | None:
        return self.container.channel_id

    @property
    def message_ts(self) -> str | None:
        return self.container.message_ts

    @property
    def action(self) -> Action:
        return self.actions[0]

    @property
    def action_id(self) -> str:
        return self.action.action_id

    @property
    def value(self) -> str:
        return self.action.value or ""

    @property
    def selected(self) -> str:
        """The value of the option chosen in the menu, "" for a button."""
        option = self.action.selected_option
        return option.value if option else ""


class ViewSubmission(_Payload):
    """A `view_submission` payload: a modal's Submit."""

    user: SlackUser
    team: Team = Field(default_factory=Team)
    view: View

    @property
    def user_id(self) -> str:
        return self.user.id

    @property
    def callback_id(self) -> str:
        return self.view.callback_id

    @property
    def user_team(self) -> str:
        return _home_team(self.user, self.team)

    @property
    def private_metadata(self) -> str:
        return self.view.private_metadata


class SlashCommand(_Payload):
    """A slash command's form fields."""

    user_id: str
    team_id: str = ""
    channel_id: str | None = None
    command: str = ""
    text: str = ""
    response_url: str | None = None
    trigger_id: str = ""


class BlockSuggestion(_Payload):
    """A `block_suggestion` payload: what someone typed into an external select."""

    user: SlackUser
    team: Team = Field(default_factory=Team)
    action_id: str = ""
    value: str = ""

    @property
    def user_team(self) -> str:
        return _home_team(self.user, self.team)


class AppHomeOpened(_Payload):
    """The `app_home_opened` event (the event itself, not its envelope)."""

    user: str
    tab: str = "home"


def parse(model: type[M], body: dict[str, Any]) -> M | None:
    """The body as `model`; None, logged once with the first bad field, when it does not fit."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        where = ".".join(str(part) for part in exc.errors()[0]["loc"])
        log.warning("slack payload does not fit", extra={"payload": model.__name__, "field": where})
        return None


class Origin(BaseModel):
    """Who did what, where, read from any payload; blank where the payload does not say."""

    model_config = ConfigDict(frozen=True)

    kind: str = ""
    listener: str = ""  # the action id, callback id, command or event type
    user: str = ""
    locale: str | None = None
    channel: str | None = None
    response_url: str | None = None


def origin_of(body: dict[str, Any]) -> Origin:
    """The Origin of any body Bolt hands a listener; never raises, whatever the shape."""
    user = _dict(body.get("user"))
    event = _dict(body.get("event"))
    actions = body.get("actions") if isinstance(body.get("actions"), list) else []
    first = _dict(actions[0]) if actions else {}
    listener = (
        first.get("action_id")
        or _dict(body.get("view")).get("callback_id")
        or body.get("command")
        or event.get("type")
        or body.get("action_id")
    )
    channel = (
        _dict(body.get("container")).get("channel_id")
        or _dict(body.get("channel")).get("id")
        or body.get("channel_id")
    )
    return Origin(
        kind=_text(body.get("type")) or ("slash_command" if body.get("command") else ""),
        listener=_text(listener),
        user=_text(user.get("id") or body.get("user_id") or event.get("user")),
        locale=_text(user.get("locale")) or None,
        channel=_text(channel) or None,
        response_url=_text(body.get("response_url")) or None,
    )


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
