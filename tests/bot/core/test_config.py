from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.config import (
    load_settings,
    parse_duration,
)
from bot.domain.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("48h", timedelta(hours=48)),
        ("4d", timedelta(days=4)),
        (" 2h ", timedelta(hours=2)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["2 days", "48", "h", "0s", "-5m", "1.5h", ""])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="use 90s, 15m, 48h or 4d"):
        parse_duration(text)


def test_defaults_match_the_spec() -> None:
    settings = load_settings()
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.database_url.get_secret_value() == "sqlite+aiosqlite:///./voc.db"
    assert settings.port == 3000
    assert settings.escalate_after == timedelta(hours=48)
    assert settings.reminder_after == timedelta(days=4)
    assert settings.expire_after == timedelta(days=14)
    assert settings.scheduler_tick == timedelta(seconds=30)
    assert settings.digest_schedule == "mon 09:00"
    assert settings.digest_tz == "UTC"
    assert settings.log_level == "INFO"


def test_environment_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("VOC_CHANNEL=C123\nVOC_ADMINS=U1, U2\nREMINDER_AFTER=15m\n")
    monkeypatch.setenv("ESCALATE_AFTER", "90s")
    settings = load_settings()
    assert settings.voc_channel == "C123"
    assert settings.digest_channel == "C123"  # DIGEST_CHANNEL defaults to VOC_CHANNEL
    assert settings.voc_admins == ["U1", "U2"]
    assert settings.is_admin("U2") and not settings.is_admin("U3")
    assert settings.reminder_after == timedelta(minutes=15)
    assert settings.escalate_after == timedelta(seconds=90)


def test_dotenv_is_read_and_the_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(
        "# the #voc channel\n"
        'export VOC_CHANNEL="C1"  # quoted, with a comment\n'
        "DIGEST_CHANNEL=C2\n"
        "SLACK_APP_TOKEN=\n"
        "NOT_A_SETTING=x\n"
    )
    settings = load_settings()
    assert (settings.voc_channel, settings.digest_channel) == ("C1", "C2")
    assert settings.slack_app_token is None and not hasattr(settings, "not_a_setting")
    monkeypatch.setenv("DIGEST_CHANNEL", "C3")
    monkeypatch.setenv("VOC_CHANNEL", "")  # blank: unset, so .env's value stands
    settings = load_settings()
    assert (settings.voc_channel, settings.digest_channel) == ("C1", "C3")
    assert load_settings(voc_channel="C4").voc_channel == "C4"


@pytest.mark.parametrize(
    ("name", "value", "hint"),
    [
        ("ESCALATE_AFTER", "2 days", "use 90s, 15m, 48h or 4d"),
        ("DATABASE_URL", "sqlite:///voc.db", "sqlite+aiosqlite"),
        ("DIGEST_SCHEDULE", "monday at 9", "mon 09:00"),
        ("DIGEST_TZ", "Mars/Olympus", "IANA time zone"),
        ("PORT", "http", "PORT"),
        ("SLACK_BOT_TOKEN", "xoxp-user-token", "xoxb-"),
        ("LOG_LEVEL", "LOUD", "DEBUG, INFO"),
    ],
)
def test_malformed_values_name_the_setting_and_the_form(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, hint: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(name)
    assert hint in message
    assert "\n" not in message


def test_missing_required_setting_names_it() -> None:
    with pytest.raises(ConfigError, match="^SLACK_SIGNING_SECRET is not set.*\\.env"):
        load_settings(slack_bot_token="xoxb-1").require("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")


def test_cli_stops_with_one_line(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "ESCALATE_AFTER": "2 days", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: ESCALATE_AFTER='2 days' is not valid: use 90s, 15m, 48h or 4d"
    ]
    serve = subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        cwd=tmp_path,
        env={**env, "ESCALATE_AFTER": "48h"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert serve.returncode == 2
    assert serve.stderr.strip().startswith("error: SLACK_BOT_TOKEN is not set")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("slack_bot_token", "xoxp-very-secret"),
        ("slack_app_token", "xoxb-not-an-app-token"),
        ("database_url", "mysql://voc:hunter2@db/voc"),
    ],
)
def test_config_errors_never_echo_a_secret(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(**{name: value})
    assert value not in str(caught.value) and name.upper() in str(caught.value)


def test_retain_comments_blank_is_unset() -> None:
    assert load_settings(retain_comments="").retain_comments is None
    assert load_settings(retain_comments="730d").retain_comments == timedelta(days=730)


def test_the_example_env_file_as_copied_starts(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[3] / ".env.example"
    (tmp_path / ".env").write_text(example.read_text())
    result = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_blank_values_are_unset(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SLACK_APP_TOKEN=\nVOC_CHANNEL=\nESCALATE_AFTER=\n")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "")
    settings = load_settings()
    assert settings.slack_app_token is None and settings.slack_bot_token is None
    assert settings.voc_channel is None
    assert settings.escalate_after == timedelta(hours=48)


@pytest.mark.parametrize(
    ("name", "value", "secret"),
    [
        ("SLACK_BOT_TOKEN", "xoxp-1234-very-secret", "very-secret"),
        ("SLACK_APP_TOKEN", "xoxb-not-app-secret", "not-app-secret"),
        ("DATABASE_URL", "mysql://voc:hunter2@db.internal/voc", "hunter2"),
    ],
)
def test_config_errors_never_print_a_secret(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, secret: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).startswith(name)
    assert secret not in str(caught.value)


SECRETS = {
    "slack_bot_token": "xoxb-bot-secret-1",
    "slack_signing_secret": "signing-secret-2",
    "slack_app_token": "xapp-app-secret-3",
    "ingest_token": "ingest-secret-4",
    "webhook_secret": "webhook-secret-5",
    "smtp_url": "smtp://mailer:smtp-secret-6@mail.acme.com:587",
    "database_url": "postgresql+asyncpg://voc:db-secret-7@db.internal/voc",
}


def test_no_secret_shows_in_the_settings_repr_str_or_dump(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name.upper(), value)
    settings = load_settings(email_from="feedback@acme.com", public_url="https://voc.acme.com")
    shown = " ".join((repr(settings), str(settings), settings.model_dump_json()))
    assert "secret-" not in shown  # each value above holds `secret-N`
    revealed = {name: getattr(settings, name).get_secret_value() for name in SECRETS}
    assert revealed == SECRETS  # each reader unwraps its secret where it hands it on


def test_a_blank_crm_field_mapping_means_not_synced_and_unset_means_the_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("CRM_FIELD_PLAN=\nCRM_FIELD_HEALTH=hs_health\nVOC_CHANNEL=\n")
    monkeypatch.setenv("CRM_FIELD_SEGMENT", "")
    settings = load_settings()
    assert settings.crm_field_plan == "" and settings.crm_field_segment == ""
    assert settings.crm_field_health == "hs_health" and settings.crm_field_arr is None
    assert settings.voc_channel is None  # every other blank is still "not set"


@pytest.mark.parametrize(
    ("crm", "given", "missing"),
    [
        ("hubspot", {}, "HUBSPOT_TOKEN"),
        ("salesforce", {"salesforce_url": "https://acme.example"}, "SALESFORCE_CLIENT_ID"),
        (
            "salesforce",
            {"salesforce_url": "https://acme.my.salesforce.com", "salesforce_client_id": "3MVG"},
            "SALESFORCE_CLIENT_SECRET",
        ),
    ],
)
def test_a_crm_without_its_credentials_stops_with_one_line(
    crm: str, given: dict[str, str], missing: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(crm=crm, **given)
    assert f"CRM={crm} needs {missing}" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_unknown_crm_is_refused_without_echoing_a_token() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(crm="pipedrive", hubspot_token="pat-na1-secret-token")
    assert str(caught.value).startswith("CRM='pipedrive' is not valid")
    assert "secret-token" not in str(caught.value)
    settings = load_settings(crm="hubspot", hubspot_token="pat-na1-secret-token")
    assert "secret-token" not in repr(settings) and settings.crm == "hubspot"


@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "postgresql+asyncpg"])
def test_postgres_urls_as_hosts_give_them_take_the_async_driver(
    monkeypatch: pytest.MonkeyPatch, scheme: str
) -> None:
    """Heroku, Render and others give `postgres://…`: mapped, not refused."""
    monkeypatch.setenv("DATABASE_URL", f"{scheme}://voc:pw@db.internal:5432/voc")
    url = load_settings().database_url.get_secret_value()
    assert url == "postgresql+asyncpg://voc:pw@db.internal:5432/voc"


@pytest.mark.parametrize(
    "name",
    ["VOC_CHANNEL", "DIGEST_CHANNEL", "SUPPORT_CHANNEL", "REPORT_CHANNEL", "INSIGHTS_CHANNEL"],
)
@pytest.mark.parametrize("value", ["#voc", "voc", "c0voc"])
def test_a_channel_given_by_name_says_to_use_its_id(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"{name}={value!r} is not valid")
    assert "use the channel's id (C…)" in message and "About tab" in message


def test_a_channel_id_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOC_CHANNEL", " C0VOC123 ")
    monkeypatch.setenv("REPORT_CHANNEL", "G0PRIVATE")
    settings = load_settings()
    assert settings.voc_channel == "C0VOC123" and settings.report_channel == "G0PRIVATE"
