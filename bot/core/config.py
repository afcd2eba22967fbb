"""Settings: the only place that reads the environment (and `.env`)."""

from __future__ import annotations

import re
from datetime import timedelta
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from bot.domain import brand, sampling
from bot.domain.errors import ConfigError
from bot.domain.health_score import parse_weights
from bot.domain.report_periods import parse_report_schedule
from bot.domain.survey_file import is_toml, read
from bot.domain.triage import parse_theme_owners
from bot.domain.verdicts import DEFAULT_BANDS, Bands, parse_bands

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

DURATION_HINT = "use 90s, 15m, 48h or 4d"
SCHEDULE_HINT = "use a weekday and a 24-hour time, e.g. mon 09:00"


def parse_duration(text: str | timedelta) -> timedelta:
    """Parse `90s`, `15m`, `48h` or `4d` into a timedelta."""
    if isinstance(text, timedelta):
        return text
    match = _DURATION.match(str(text))
    if not match or int(match.group(1)) == 0:
        raise ValueError(DURATION_HINT)
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def _health_weights(value: object) -> object:
    if isinstance(value, str):
        return parse_weights(value) if value.strip() else None
    return value


def parse_weekly_schedule(text: str) -> tuple[int, int, int]:
    """Parse `mon 09:00` into (weekday 0-6, hour, minute)."""
    match = re.match(r"^\s*([a-zA-Z]{3})[a-zA-Z]*\s+(\d{1,2}):(\d{2})\s*$", text)
    if not match or match.group(1).lower() not in _WEEKDAYS:
        raise ValueError(SCHEDULE_HINT)
    hour, minute = int(match.group(2)), int(match.group(3))
    if hour > 23 or minute > 59:
        raise ValueError(SCHEDULE_HINT)
    return _WEEKDAYS.index(match.group(1).lower()), hour, minute


MILESTONE_DAYS_HINT = "use up to 6 day numbers from 1 to 365 separated by commas, e.g. 30,60,90"


def parse_milestone_days(value: object) -> tuple[int, ...]:
    """`30,60,90` as distinct days from 1 to 365, at most 6, sorted (bot/domain/milestones.py)."""
    if isinstance(value, str):
        parts = [part.strip() for part in value.split(",")]
        if not all(part.isdigit() for part in parts):
            raise ValueError(MILESTONE_DAYS_HINT)
        days = [int(part) for part in parts]
    elif isinstance(value, list | tuple) and all(isinstance(day, int) for day in value):
        days = list(value)
    else:
        raise ValueError(MILESTONE_DAYS_HINT)
    if not 0 < len(days) <= 6 or len(set(days)) != len(days):
        raise ValueError(MILESTONE_DAYS_HINT)
    if not all(1 <= day <= 365 for day in days):
        raise ValueError(MILESTONE_DAYS_HINT)
    return tuple(sorted(days))


def _bands(value: object) -> object:
    return parse_bands(value) if isinstance(value, str) else value


def _report_schedule(value: object) -> object:
    if isinstance(value, str):
        parse_report_schedule(value)
        return " ".join(value.lower().split())
    return value


def _theme_owners(value: object) -> object:
    return parse_theme_owners(value) if isinstance(value, str) else value


def _split_ids(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


PROXIES_HINT = "use IP addresses or CIDR ranges separated by commas, e.g. 10.0.0.0/8,192.0.2.7"


def parse_networks(value: object) -> tuple[IPv4Network | IPv6Network, ...]:
    """`10.0.0.0/8,192.0.2.7` as networks (an address is a network of one)."""
    if isinstance(value, tuple | list) and all(
        isinstance(item, IPv4Network | IPv6Network) for item in value
    ):
        return tuple(value)
    parts = _split_ids(value)
    if not isinstance(parts, list):
        raise ValueError(PROXIES_HINT)
    try:
        return tuple(ip_network(part, strict=False) for part in parts)
    except ValueError:
        raise ValueError(PROXIES_HINT) from None


def _blank_is_unset(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


def redact_url(url: str) -> str:
    """The URL with any password replaced by `***`, safe to show or log."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return url
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{host}"


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def _optional_duration(text: str | timedelta | None) -> timedelta | None:
    """A duration, or None when unset or left blank (as in .env.example)."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    return parse_duration(text)


OptionalDuration = Annotated[timedelta | None, BeforeValidator(_optional_duration)]


_BLANK_MEANS_OFF = "crm_field_"  # CRM_FIELD_PLAN= (blank) means "not synced", not "unset"


class _BlankKept(EnvSettingsSource):
    """The environment's CRM_FIELD_* values, blanks included (every other blank is unset)."""

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in super().__call__().items() if k.startswith(_BLANK_MEANS_OFF)}


class _BlankKeptDotEnv(DotEnvSettingsSource):
    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in super().__call__().items() if k.startswith(_BLANK_MEANS_OFF)}


# Heroku, Render and others give `postgres://…`; SQLAlchemy's async driver is named in the URL
_POSTGRES_SCHEMES = ("postgres://", "postgresql://")
# the settings naming a Slack channel: each takes its id (C…), never its name
CHANNEL_SETTINGS = (
    "voc_channel",
    "digest_channel",
    "insights_channel",
    "support_channel",
    "report_channel",
)
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]+")


def async_database_url(url: str) -> str:
    """`postgres://` and `postgresql://` URLs as the async driver takes them."""
    for scheme in _POSTGRES_SCHEMES:
        if url.startswith(scheme):
            return "postgresql+asyncpg://" + url.removeprefix(scheme)
    return url


def channel_id(value: str | None) -> str | None:
    """A channel setting's id; a name such as `#voc` is refused with where to find the id."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not _CHANNEL_ID.fullmatch(text):
        raise ValueError(
            "use the channel's id (C…), not its name: in Slack, open the channel, click its "
            "name at the top; the id is at the bottom of the About tab (or right-click the "
            "channel › Copy link: the id ends the link)"
        )
    return text


class Settings(BaseSettings):
    """Every setting in docs/settings.md; names match the environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env",  # in the folder a command runs in; the environment wins over it
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        env_ignore_empty=True,  # `NAME=` as .env.example writes it means "not set"
    )

    # Secrets are SecretStr: repr() and logs show `**********`; the one place that hands a
    # secret to a library calls `.get_secret_value()` there.
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    database_url: SecretStr = SecretStr("sqlite+aiosqlite:///./voc.db")  # may hold a password
    port: int = Field(default=3000, ge=0, le=65535)
    voc_channel: str | None = None
    digest_channel: str | None = None
    insights_channel: str | None = None  # optional: every /voc note and themed comment
    voc_admins: Annotated[list[str], NoDecode, BeforeValidator(_split_ids)] = []
    voc_staff: Annotated[list[str], NoDecode, BeforeValidator(_split_ids)] = []
    retain_comments: OptionalDuration = None  # e.g. 730d: older verbatims are blanked
    support_channel: str | None = None  # low CSAT/CES cards; default: VOC_CHANNEL
    support_managers: Annotated[list[str], NoDecode, BeforeValidator(_split_ids)] = []
    escalate_after: Duration = timedelta(hours=48)
    reminder_after: Duration = timedelta(days=4)
    expire_after: Duration = timedelta(days=14)
    # SCHEDULER_TICK and SEND_LEASE are part of the published contract (SPEC). An operator
    # lowers the tick for a tighter send/reminder latency, or raises it to cut idle database
    # polls on a small install; the lease trades how fast a crashed sender's DMs are
    # reconciled against renewals per send, which matters on a slow or far database.
    scheduler_tick: Duration = timedelta(seconds=30)
    send_lease: Duration = timedelta(seconds=40)
    # How old a Slack listing (users.list, a shared channel's members) may be and still say
    # who is not in Slack (bot/services/reach.py); `send` waits this long for Slack at most.
    reach_listing_max_age: Duration = timedelta(hours=24)
    reach_send_wait: Duration = timedelta(seconds=10)
    digest_schedule: str = "mon 09:00"
    digest_tz: str = "UTC"
    ingest_token: SecretStr | None = None
    review_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_give_up: Duration = timedelta(days=3)  # then an event is a dead letter
    log_level: str = "INFO"
    # Email for contacts Slack cannot reach (bot/services/email_survey.py); on when SMTP_URL is set.
    public_url: Annotated[str | None, BeforeValidator(_blank_is_unset)] = None
    smtp_url: Annotated[SecretStr | None, BeforeValidator(_blank_is_unset)] = None  # user:pass@
    email_from: Annotated[str | None, BeforeValidator(_blank_is_unset)] = None
    product_name: str | None = None
    # The brand on survey emails and the survey page (bot/domain/brand.py).
    brand_name: Annotated[str | None, BeforeValidator(_blank_is_unset)] = None
    brand_logo_url: Annotated[str | None, BeforeValidator(_blank_is_unset)] = None
    brand_color: Annotated[str | None, BeforeValidator(_blank_is_unset)] = None
    email_from_name: Annotated[str | None, BeforeValidator(_blank_is_unset)] = None
    email_subject: Annotated[
        dict[str, str] | None, NoDecode, BeforeValidator(brand.parse_subjects)
    ] = None
    log_format: Literal["text", "json"] = "text"
    metrics_port: int | None = Field(default=None, ge=0, le=65535)  # worker / socket /metrics
    # proxies whose X-Forwarded-For the survey page believes; none: the peer's address counts
    trusted_proxies: Annotated[
        tuple[IPv4Network | IPv6Network, ...], NoDecode, BeforeValidator(parse_networks)
    ] = ()
    # The CRM (bot/connectors/): which one, how often to sync, and how to reach it.
    crm: Annotated[Literal["hubspot", "salesforce"] | None, BeforeValidator(_blank_is_unset)] = None
    crm_sync_every: Duration = timedelta(hours=1)
    # Mapped account fields: unset means the CRM's documented default (bot/connectors/),
    # blank (`CRM_FIELD_PLAN=`) means "not synced".
    crm_field_arr: str | None = None
    crm_field_plan: str | None = None
    crm_field_segment: str | None = None
    crm_field_health: str | None = None
    crm_field_renewal: str | None = None
    crm_field_customer_since: str | None = None
    hubspot_token: SecretStr | None = None
    hubspot_api_url: str = "https://api.hubapi.com"
    salesforce_url: Annotated[str | None, BeforeValidator(_blank_is_unset)] = None
    salesforce_client_id: Annotated[str | None, BeforeValidator(_blank_is_unset)] = None
    salesforce_client_secret: SecretStr | None = None
    # Zendesk (bot/connectors/zendesk.py): solved tickets in, the CSAT back as a private note.
    zendesk_url: Annotated[str | None, BeforeValidator(_blank_is_unset)] = None
    zendesk_email: Annotated[str | None, BeforeValidator(_blank_is_unset)] = None
    zendesk_token: SecretStr | None = None
    zendesk_webhook_secret: SecretStr | None = None
    zendesk_survey_every: int = Field(default=1, ge=1, le=1000)  # one solved ticket in N
    # Jira Cloud (bot/connectors/jira.py): requests pushed as issues, their status back.
    jira_url: Annotated[str | None, BeforeValidator(_blank_is_unset)] = None
    jira_email: Annotated[str | None, BeforeValidator(_blank_is_unset)] = None
    jira_token: SecretStr | None = None
    jira_project: Annotated[str | None, BeforeValidator(_blank_is_unset)] = None
    jira_push_arr: float | None = Field(default=None, ge=0)  # auto push past this ARR
    jira_webhook_secret: SecretStr | None = None  # verifies POST /hooks/jira
    # Account health (bot/domain/health_score.py): a weekly drop of HEALTH_DROP points, or a
    # score below HEALTH_FLOOR, opens a case; HEALTH_WEIGHTS tunes the components.
    health_drop: int = Field(default=15, ge=1, le=100)
    health_floor: int = Field(default=40, ge=0, le=100)
    # None: DEFAULT_WEIGHTS (bot/domain/health_score.py); a value names only what it changes
    health_weights: Annotated[
        dict[str, float] | None, NoDecode, BeforeValidator(_health_weights)
    ] = None
    # one in N events per trigger (bot/domain/sampling.py): `support=3,training=2`; Zendesk
    # tickets follow ZENDESK_SURVEY_EVERY instead
    survey_every: Annotated[
        dict[str, int] | None, NoDecode, BeforeValidator(sampling.parse_every)
    ] = None
    # days after onboarding_started / activated / customer_since that ask a survey
    milestone_days: Annotated[tuple[int, ...], NoDecode, BeforeValidator(parse_milestone_days)] = (
        30,
        60,
        90,
    )
    # question sets (bot/domain/question_sets.py): the follow-ups a survey asks per moment,
    # a YAML or TOML file checked at start (every problem with its line number)
    surveys_file: Annotated[str | None, BeforeValidator(_blank_is_unset)] = None
    # triage (bot/services/owners.py): theme → Slack users or user groups who hear of each
    # new themed comment and request; `theme=USERID,theme=SUBTEAMID,…`
    theme_owners: Annotated[
        dict[str, tuple[str, ...]], NoDecode, BeforeValidator(_theme_owners)
    ] = {}
    # verdicts and leadership reports (bot/domain/verdicts.py, bot/services/leadership.py):
    # `name=value,…` over the documented bands; the reports' channel and their moment (the
    # month's first working day at HH:MM in DIGEST_TZ); REPORT_CHANNEL defaults to DIGEST_CHANNEL
    verdict_bands: Annotated[Bands, NoDecode, BeforeValidator(_bands)] = DEFAULT_BANDS
    report_channel: str | None = None
    report_schedule: Annotated[str, BeforeValidator(_report_schedule)] = "first working day 09:00"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """As pydantic-settings reads them, plus the CRM_FIELD_* blanks kept (a blank
        mapping turns a field's sync off; anywhere else a blank means "not set")."""
        env_file = settings_cls.model_config.get("env_file")
        return (
            init_settings,
            _BlankKept(settings_cls, env_ignore_empty=False),
            env_settings,
            _BlankKeptDotEnv(settings_cls, env_file=env_file, env_ignore_empty=False),
            dotenv_settings,
            file_secret_settings,
        )

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_ends_with_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("use a URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("insights_channel")
    @classmethod
    def _blank_insights_channel_is_unset(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: SecretStr) -> SecretStr:
        url = async_database_url(value.get_secret_value())
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "use sqlite+aiosqlite:///./voc.db or postgresql+asyncpg://user:pass@host/db"
            )
        return SecretStr(url)

    @field_validator(*CHANNEL_SETTINGS)
    @classmethod
    def _channel_id(cls, value: str | None) -> str | None:
        return channel_id(value)

    @field_validator("digest_schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        parse_weekly_schedule(value)
        return value

    @field_validator("digest_tz")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("use an IANA time zone such as UTC or Asia/Kuala_Lumpur") from exc
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("use DEBUG, INFO, WARNING or ERROR")
        return level

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("use the bot token, which starts with xoxb-")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("use the app-level token, which starts with xapp-")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(
                "use the address respondents' browsers reach, e.g. https://voc.acme.com"
            )
        return value.rstrip("/") if value else value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return value
        scheme, sep, rest = value.get_secret_value().partition("://")
        host = rest.rpartition("@")[2].split("/")[0]
        if scheme not in ("smtp", "smtps") or not sep or not host.split(":")[0]:
            raise ValueError(
                "use smtp://user:pass@host:587 (STARTTLS) or smtps://user:pass@host:465"
            )
        return value

    @field_validator("email_from")
    @classmethod
    def _email_from(cls, value: str | None) -> str | None:
        from email.utils import parseaddr

        if value is not None and "@" not in parseaddr(value)[1]:
            raise ValueError('use an address such as "Acme Feedback <feedback@acme.com>"')
        return value

    @field_validator("brand_color")
    @classmethod
    def _brand_color(cls, value: str | None) -> str | None:
        return brand.check_color(value) if value else value

    @field_validator("brand_logo_url")
    @classmethod
    def _brand_logo_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("use an https:// address of an image")
        if value and re.search(r"[\s\"'<>\\]", value):
            raise ValueError("the logo address cannot contain spaces, quotes or line breaks")
        return value

    @field_validator("brand_name", "email_from_name")
    @classmethod
    def _brand_text(cls, value: str | None) -> str | None:
        return brand.one_line(value) or None if value else value

    @model_validator(mode="after")
    def _email_needs_its_settings(self) -> Settings:
        if self.smtp_url and not (self.email_from and self.public_url):
            missing = "EMAIL_FROM" if not self.email_from else "PUBLIC_URL"
            raise ValueError(f"email is on (SMTP_URL is set) but {missing} is not set")
        return self

    @field_validator("hubspot_api_url", "salesforce_url")
    @classmethod
    def _crm_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("use an https:// URL, e.g. https://api.hubapi.com")
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _crm_needs_its_settings(self) -> Settings:
        needed = {
            "hubspot": ("hubspot_token",),
            "salesforce": ("salesforce_url", "salesforce_client_id", "salesforce_client_secret"),
        }.get(self.crm or "", ())
        for name in needed:
            if not getattr(self, name):
                raise ValueError(f"CRM={self.crm} needs {name.upper()} (see .env.example)")
        return self

    @field_validator("zendesk_url")
    @classmethod
    def _zendesk_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("use your Zendesk address, e.g. https://acme.zendesk.com")
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _zendesk_needs_its_settings(self) -> Settings:
        given = {n: getattr(self, n) for n in ("zendesk_url", "zendesk_email", "zendesk_token")}
        if any(given.values()) and not all(given.values()):
            missing = next(name for name, value in given.items() if not value)
            raise ValueError(
                f"Zendesk is half set: {missing.upper()} is missing (see .env.example)"
            )
        return self

    @field_validator("jira_url")
    @classmethod
    def _jira_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("use your site's URL, e.g. https://acme.atlassian.net")
        return value.rstrip("/") if value else value

    @field_validator("jira_project")
    @classmethod
    def _jira_project(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,9}", value):
            raise ValueError("use the project's key as Jira shows it, e.g. PROD")
        return value.upper() if value else value

    @model_validator(mode="after")
    def _jira_needs_its_settings(self) -> Settings:
        names = ("jira_url", "jira_email", "jira_token", "jira_project")
        given = [name for name in names if getattr(self, name)]
        if given and len(given) < len(names):
            missing = next(name for name in names if not getattr(self, name))
            raise ValueError(
                f"{given[0].upper()} is set but {missing.upper()} is not: Jira needs "
                "JIRA_URL, JIRA_EMAIL, JIRA_TOKEN and JIRA_PROJECT (see .env.example)"
            )
        return self

    @property
    def zendesk_on(self) -> bool:
        """Whether the Zendesk API is configured (URL, email and token)."""
        return bool(self.zendesk_url and self.zendesk_email and self.zendesk_token)

    @property
    def jira_on(self) -> bool:
        """Whether Jira is configured (requests can be pushed, status polled)."""
        return self.jira_url is not None

    @field_validator("surveys_file")
    @classmethod
    def _surveys_file_checked(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            text = Path(value).read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"cannot read it ({exc.strerror or exc})") from None
        problems = read(text, toml=is_toml(value)).problems
        if problems:
            raise ValueError("; ".join(str(p) for p in problems))
        return value

    @model_validator(mode="after")
    def _digest_defaults_to_voc(self) -> Settings:
        if not self.digest_channel:
            self.digest_channel = self.voc_channel
        if not self.report_channel:
            self.report_channel = self.digest_channel
        return self

    def require(self, *names: str) -> None:
        """Stop with one line naming the first missing setting among `names`."""
        for name in names:
            if not getattr(self, name.lower()):
                raise ConfigError(
                    f"{name.upper()} is not set: put it in the environment or in .env "
                    "(see .env.example)"
                )

    def is_admin(self, user_id: str) -> bool:
        return user_id in self.voc_admins


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, turning validation errors into one ConfigError line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]).upper() if error["loc"] else "a setting"
        given = error.get("input")
        reason = str(error.get("msg", "")).removeprefix("Value error, ")
        shown = f"={shown_value(name, given)!r}" if isinstance(given, str | int) else ""
        raise ConfigError(f"{name}{shown} is not valid: {reason}") from None


_SECRET_NAMES = ("TOKEN", "SECRET", "PASSWORD", "KEY")


def shown_value(name: str, value: object) -> str:
    """A setting's value as an error message may show it: secrets hidden, URL passwords too."""
    text = str(value)
    if any(part in name.upper() for part in _SECRET_NAMES):
        return f"<{len(text)} characters, hidden>"
    return redact_url(text)
