"""What the admin verbs' services return (bot/domain/admin_commands.py has the requests);
`blocks/admin.py` words them for `/voc` and the command line."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.campaigns import CampaignId
from bot.domain.errors import UserError
from bot.domain.figures import Figures
from bot.domain.sampling import Drawn
from bot.domain.vocabulary import UNREACHABLE_REASONS


@dataclass(frozen=True)
class AutopilotView:
    """One autopilot as `autopilot list` and `campaigns` show it."""

    id: int
    kind: str
    segment: str | None
    every_days: int
    status: str
    anchor: str
    counts: Counter[str] = field(default_factory=Counter)
    quarter_week: int | None = None  # quarterly: the week of each quarter
    sample: str | None = None  # "30%" or "200" of each period's contacts


@dataclass(frozen=True)
class AutopilotChanged:
    """An autopilot paused, resumed or stopped, and how many of its invitations were held."""

    autopilot_id: int
    status: str
    skipped: int = 0


@dataclass(frozen=True)
class CampaignView:
    """A line of `campaigns`: a send's recorded audience, or an autopilot's period and
    segment (blocks/admin.py words either)."""

    id: CampaignId
    kind: str
    audience: str  # a send's, as recorded (bot/domain/campaigns.py); "" for an autopilot
    created: datetime
    figures: Figures
    status: str = ""  # an autopilot's: active, paused, stopped
    every_days: int | None = None  # an autopilot's period
    segment: str | None = None  # an autopilot's segment (None: everyone)
    quarter_week: int | None = None  # a quarterly autopilot's week
    unreachable: list[Unreachable] = field(default_factory=list)  # a send's, once found


@dataclass(frozen=True)
class CampaignCancelled:
    campaign: CampaignId
    cancelled: int
    already_sent: int


@dataclass(frozen=True)
class CampaignRescheduled:
    campaign: CampaignId
    at: datetime | None  # None: now
    moved: int
    outside_window: int  # moved to the contact's next slot after `at`


@dataclass(frozen=True)
class WordingSaved:
    kind: str
    lang: str
    template: str
    example: str  # the template filled in for an example contact


@dataclass(frozen=True)
class WordingRestored:
    kind: str
    lang: str
    default: str
    was_set: bool  # False: it already asked the default


@dataclass(frozen=True)
class WordingInUse:
    kind: str
    lang: str
    text: str
    own: bool  # set by an admin (else the default)


@dataclass(frozen=True)
class WordingTable:
    rows: list[WordingInUse]
    placeholders: str
    product: str | None


@dataclass(frozen=True)
class Unreachable:
    """A contact the campaign meant to ask but has no way to reach, and why."""

    email: str
    account: str
    reason: str


LOOKUP_FAILED = "Slack lookup failed"  # then the Slack error's code, in brackets


def is_unreachable(reason: str) -> bool:
    """Whether a skip reason means Slack (and email) could not reach the person, as opposed
    to a choice (opted out, fatigue, not active)."""
    return reason in UNREACHABLE_REASONS or reason.startswith(LOOKUP_FAILED)


@dataclass
class CampaignReport:
    """What a `send` did: created and skipped invitations, and how it reaches people."""

    created: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    first_due: datetime | None = None
    by_dm: int = 0  # invitations that go to the person's DM
    external: int = 0  # of those, people of another organisation (Slack Connect)
    in_channel: int = 0  # customers whose DM was refused last time: their shared channel
    by_email: int = 0  # contacts Slack cannot reach, asked by email (SMTP_URL is set)
    resolving: int = 0  # still being found in Slack by the worker when `send` returned
    email_on: bool = False
    unreachable: list[Unreachable] = field(default_factory=list)
    skipped_who: dict[str, list[str]] = field(default_factory=dict)  # reason → emails
    channel_problems: list[str] = field(default_factory=list)
    campaign_id: int | None = None  # bot/services/campaigns.py
    sample: Drawn | None = None  # `--sample`: who of the audience was drawn (sampling.py)


# The refusals: what the service found, as errors carrying the facts (their message is the
# one both front ends show).


class AutopilotAlreadyRuns(UserError):
    def __init__(self, autopilot_id: int, kind: str, audience: str, status: str) -> None:
        self.autopilot_id = autopilot_id
        super().__init__(
            f"Autopilot #{autopilot_id} already runs {kind.upper()} for {audience} ({status}); "
            f"stop it first: autopilot stop {autopilot_id}"
        )


class NoSuchAutopilot(UserError):
    def __init__(self, autopilot_id: int) -> None:
        self.autopilot_id = autopilot_id
        super().__init__(f"No autopilot #{autopilot_id}. See them with: autopilot list")


class AutopilotCannot(UserError):
    """Pause, resume or stop asked of an autopilot whose status does not allow it."""

    def __init__(self, autopilot_id: int, status: str, action: str) -> None:
        self.autopilot_id, self.status, self.action = autopilot_id, status, action
        super().__init__(f"Autopilot #{autopilot_id} is {status}; it cannot {action}.")


class NoSuchCampaign(UserError):
    def __init__(self, campaign: CampaignId) -> None:
        self.campaign = campaign
        name = f"autopilot {campaign}" if campaign.autopilot else f"campaign {campaign}"
        super().__init__(f"No {name}. `campaigns` lists them.")


class NothingToCancel(UserError):
    def __init__(self, campaign: CampaignId, sent: int, skipped: int) -> None:
        self.campaign, self.sent, self.skipped = campaign, sent, skipped
        super().__init__(
            f"Campaign {campaign} has nothing left to cancel: {sent} already went out, "
            f"{skipped} skipped. See them with `campaigns`."
        )


class NothingToReschedule(UserError):
    def __init__(self, campaign: CampaignId) -> None:
        self.campaign = campaign
        super().__init__(
            f"Campaign {campaign} has nothing left to reschedule: it has all gone out or been "
            "cancelled. See it with `campaigns`."
        )
