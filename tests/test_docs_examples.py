"""Every example of program output in README.md and docs/ is what the code prints today.

An example sits between `<!-- example: NAME -->` and `<!-- /example -->`; the producer of
NAME below makes it from the real code (the CLI through Typer's runner, the digest from a
seeded database, the demo's transcript, the webhook serializer, the Settings model) and the
test fails when the page differs. `VOC_WRITE_DOCS=1 pytest tests/test_docs_examples.py`
rewrites the pages instead. What a person writes (a CSV, a request, code that verifies a
webhook) sits between `<!-- input: NAME -->` and `<!-- /input -->` and is fed to the real
parser or verifier. A benchmark's printout is a measurement, marked
`<!-- recorded: … -->` before its block. Every fenced block of a page is one of the three.
"""

from __future__ import annotations

import asyncio
import difflib
import io
import json
import os
import re
import shlex
import textwrap
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
WRITE = os.environ.get("VOC_WRITE_DOCS") == "1"
REGENERATE = "VOC_WRITE_DOCS=1 pytest tests/test_docs_examples.py"

REGION = re.compile(
    r"^ *<!-- (?P<kind>example|input): (?P<name>[\w-]+) -->\n"
    r"(?P<body>.*?)^ *<!-- /(?P=kind) -->\n",
    re.S | re.M,
)
FENCE = re.compile(r"^ {0,3}(```|~~~)", re.M)

Producer = Callable[[Path, pytest.MonkeyPatch], Awaitable[str]]
Checker = Callable[[str, Path], Awaitable[None]]
PRODUCERS: dict[str, Producer] = {}
CHECKERS: dict[str, Checker] = {}


def producer(name: str) -> Callable[[Producer], Producer]:
    def register(make: Producer) -> Producer:
        PRODUCERS[name] = make
        return make

    return register


def checker(name: str) -> Callable[[Checker], Checker]:
    def register(check: Checker) -> Checker:
        CHECKERS[name] = check
        return check

    return register


def _regions(kind: str) -> dict[str, tuple[Path, str]]:
    found: dict[str, tuple[Path, str]] = {}
    for page in PAGES:
        for match in REGION.finditer(page.read_text()):
            if match["kind"] == kind:
                assert match["name"] not in found, f"{match['name']} appears twice"
                found[match["name"]] = (page, match["body"])
    return found


def fenced(text: str, info: str = "text") -> str:
    return f"```{info}\n{text.rstrip()}\n```\n"


# ------------------------------------------------------------------------------------------
# running the CLI in-process, on a fixed clock


async def _cli(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], now, *args: str
) -> tuple[int, str]:
    """`python -m bot ARGS` through Typer's runner, in a thread (the command runs its own
    event loop), with the runtime's clock fixed at `now`: (exit code, what it printed)."""
    from typer.testing import CliRunner

    import bot.cli
    from bot.core.runtime import build_runtime
    from bot.devkit.clock import FakeClock

    monkeypatch.setattr(bot.cli, "build_runtime", partial(build_runtime, clock=FakeClock(now)))
    runner = CliRunner()
    result = await asyncio.to_thread(
        runner.invoke, bot.cli.cli, list(args), env={"LOG_LEVEL": "ERROR", **env}
    )
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def _shell(*commands: tuple[str, str]) -> str:
    """A terminal: each command after `$ `, then what it printed."""
    return "".join(f"$ {command}\n{output.rstrip()}\n" for command, output in commands)


# ------------------------------------------------------------------------------------------
# the digest


async def _digest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    from storage.db import Database
    from tests.digest_fixture import AS_OF, seed_digest

    url = f"sqlite+aiosqlite:///{tmp_path / 'digest.db'}"
    db = Database(url)
    await db.upgrade()
    await seed_digest(db)
    await db.dispose()
    code, out = await _cli(monkeypatch, {"DATABASE_URL": url}, AS_OF, "digest")
    assert code == 0, out
    return out


@producer("digest")
async def _digest_full(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    return fenced(await _digest(tmp_path, monkeypatch))


@producer("readme-digest")
async def _digest_excerpt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The title, the scores, the follow-ups and the verbatims; the rest named in one line."""
    text = await _digest(tmp_path, monkeypatch)
    title, *sections = text.split("\n\n")
    keep = ("Scores\n", "Follow-ups\n", "Top feature requests by ARR\n", "Fresh verbatims\n")
    shown = [s for s in sections if s.startswith(keep)]
    left = [s.split("\n", 1)[0] for s in sections if not s.startswith(keep)]
    note = textwrap.fill(
        f"… then {len(left)} more sections: {', '.join(left).replace(' (90 days)', '')}.",
        width=88, initial_indent="  ", subsequent_indent="    ",
    )  # fmt: skip
    return fenced("\n\n".join([title, shown[0], note, *shown[1:]]))


# ------------------------------------------------------------------------------------------
# the demo


@producer("readme-demo")
async def _demo_excerpt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """From `python -m bot demo`: two answers and the first #voc card, then the ship."""
    from bot.devkit.demo import run_demo

    out = io.StringIO()
    await run_demo(out, tmp_path)
    text = out.getvalue()
    rule = "━" * 78 + "\n"
    answers = text[text.index(rule + "3 · People answer") :]
    first_card = answers.index("  ▸ #voc channel · message")
    answers = answers[: answers.index("\n\n", first_card)]
    ship = text[text.index(rule + "8 · Priya ships SSO") :]
    ends = (ship.find(end) for end in ("\n\nPriya also brings", "\n\n" + rule))
    ship = ship[: min(end for end in ends if end >= 0)]  # up to the next step or paragraph
    return fenced(f"{answers}\n…\n{ship}")


# ------------------------------------------------------------------------------------------
# settings


def _default(value: object) -> str:
    from pydantic import SecretStr

    if isinstance(value, SecretStr):  # a default is no secret (DATABASE_URL's local file)
        value = value.get_secret_value()
    if value is None or value == [] or value == ():
        return "—"
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
            if seconds % size == 0 and (unit != "d" or seconds >= 3 * size):  # 48h, 3d
                return f"`{seconds // size}{unit}`"
        return f"`{seconds}s`"
    if isinstance(value, tuple):
        return "`" + ",".join(str(item) for item in value) + "`"
    return f"`{value}`"


@producer("settings-table")
async def _settings_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every field of `Settings`, with its default from the model; the meaning (and, for a
    setting whose default is unset, what unset means) is the page's own words."""
    from bot.core.config import Settings

    _page, body = _regions("example")["settings-table"]
    rows = {}
    for line in body.splitlines()[2:]:
        name, default, meaning = (cell.strip() for cell in line.strip("|").split(" | ", 2))
        rows[name.strip("`").lower()] = (default, meaning)
    lines = ["| name | default | meaning |", "|---|---|---|"]
    fields = Settings.model_fields
    order = [name for name in rows if name in fields] + [n for n in fields if n not in rows]
    for name in order:
        written, meaning = rows.get(name, ("—", "(not described yet: say what it does)"))
        assert not meaning.startswith("(not described yet"), (
            f"docs/settings.md: say what {name.upper()} does in its row of the settings table"
        )
        default = _default(fields[name].default)
        if default == "—" and written != "—":
            default = written  # e.g. DIGEST_CHANNEL: `VOC_CHANNEL` when unset
        lines.append(f"| `{name.upper()}` | {default} | {meaning} |")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------
# webhooks


@producer("webhook-body")
async def _webhook_body(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A `response.created` as the outbox writes it and the sender serializes it."""
    from sqlalchemy import select

    from bot.core.config import Settings
    from bot.services.webhooks import event_body, response_created
    from storage.db import Database
    from storage.models import OutboxEvent, Response
    from tests.digest_fixture import AS_OF, seed_digest

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'hooks.db'}")
    await db.upgrade()
    await seed_digest(db)
    settings = Settings(webhook_url="https://crm.example.com/hooks/voc")
    async with db.transaction() as session:
        answer = (
            (
                await session.execute(
                    select(Response).where(Response.score == 3).order_by(Response.id)
                )
            )
            .scalars()
            .first()
        )
        await response_created(
            session, settings=settings, response_id=answer.id,
            invitation_id=answer.invitation_id, kind=answer.kind, score=answer.score,
            category=answer.category, now=AS_OF,
        )  # fmt: skip
    async with db.session() as session:
        event = (await session.execute(select(OutboxEvent))).scalars().one()
    await db.dispose()
    body = json.loads(
        event_body(event_id=event.event_id, type=event.type, created_at=AS_OF, data=event.payload)
    )
    assert re.fullmatch(r"[0-9a-f]{32}", body["id"])
    body["id"] = "3f0c9a…"  # random for each event: 32 hex digits
    return fenced(json.dumps(body, indent=2, ensure_ascii=False), "json")


@checker("webhook-verify")
async def _verify_webhook(text: str, tmp_path: Path) -> None:
    """The receiver's code on the page accepts what the sender signs, and nothing else."""
    from bot.services.webhooks import event_body, request_headers

    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    scope: dict[str, object] = {}
    exec(compile(code, "docs/events-and-webhooks.md", "exec"), scope)  # noqa: S102
    verify = scope["verify"]
    body = event_body(event_id="e1", type="response.created", created_at=_now(), data={})
    timestamp = str(int(time.time()))
    headers = request_headers(event_id="e1", body=body, timestamp=timestamp, secret="s3cret")
    assert verify("s3cret", headers, body)
    assert not verify("s3cret", headers, body.replace(b"{}", b'{"score":10}'))
    assert not verify("other", headers, body)
    stale = request_headers(event_id="e1", body=body, timestamp="1000", secret="s3cret")
    assert not verify("s3cret", stale, body)


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


@checker("ingest-request")
async def _ingest_request(text: str, tmp_path: Path) -> None:
    """The curl example's JSON is an event `POST /hooks/events` takes."""
    from datetime import UTC, datetime

    from handlers.web.ingest import parse_event

    body = text.split("-d '", 1)[1].split("'", 1)[0]
    event = parse_event(body.encode(), now=datetime(2026, 11, 24, 10, tzinfo=UTC))
    assert event.event == "ticket_closed" and event.context


# ------------------------------------------------------------------------------------------
# what a person types, and what the commands print


def _code(body: str) -> str:
    """The text of the one fenced block in a region, its indentation removed."""
    return textwrap.dedent(body).split("\n", 1)[1].rsplit("```", 1)[0]


def _commands(body: str) -> list[list[str]]:
    """`python -m bot …` lines of a block, as argument lists (comments dropped)."""
    lines = [line.split("  #", 1)[0].split(" > ", 1)[0] for line in _code(body).splitlines()]
    return [shlex.split(line)[3:] for line in lines if line.startswith("python -m bot ")]


@checker("quick-start")
async def _quick_start(text: str, tmp_path: Path) -> None:
    """CI runs the quick start's install, demo and tests (tests/test_dependencies.py checks
    the install line word for word)."""
    ci = (ROOT / ".ci" / "run").read_text()
    lines = [line for line in _code(text).splitlines() if line and not line.startswith("#")]
    assert lines[1] in ci.splitlines() and "python -m bot demo" in ci
    assert lines[-1] == "pytest" and "\npytest\n" in ci


async def _production_install(text: str, tmp_path: Path) -> None:
    """The production lock, which holds no test tool (tests/test_dependencies.py)."""
    [line] = _code(text).splitlines()
    assert line == "pip install --require-hashes -r requirements.lock && pip install --no-deps ."
    assert "pytest==" not in (ROOT / "requirements.lock").read_text()


CHECKERS["production-install"] = CHECKERS["production-install-ops"] = _production_install


def test_the_commands_table_names_every_command() -> None:
    """docs/operations.md's table of commands and the CLI's commands are the same."""
    from typer.main import get_command

    from bot.cli import cli

    text = (ROOT / "docs" / "operations.md").read_text()
    table = text.split("## Running it\n", 1)[1].strip().split("\n\n", 1)[0]
    named = {
        word.strip("`").split()[0]
        for row in table.splitlines()[2:]
        for word in row.split(" | ", 1)[0].strip("| ").split(" / ")
    }
    assert named == set(get_command(cli).commands), named ^ set(get_command(cli).commands)


@checker("day-to-day")
async def _day_to_day(text: str, tmp_path: Path) -> None:
    """Every command and option on the page is one the CLI has."""
    from typer.testing import CliRunner

    from bot.cli import cli

    for args in _commands(text):
        words = [arg for arg in args if not arg.startswith("-")]
        options = [arg for arg in args if arg.startswith("--")]
        for depth in range(len(words), 0, -1):
            result = CliRunner().invoke(cli, [*words[:depth], "--help"])
            if result.exit_code == 0:
                break
        assert result.exit_code == 0, args
        assert all(option in result.output for option in options), (args, result.output)


CHECKERS["crm-commands"] = CHECKERS["crm-commands-docs"] = _day_to_day
CHECKERS["zendesk-commands"] = _day_to_day
CHECKERS["report-commands"] = CHECKERS["report-commands-readme"] = _day_to_day


async def _lock_commands(text: str, tmp_path: Path) -> None:
    for line, lock in zip(
        _code(text).splitlines(), ("requirements.lock", "requirements-dev.lock"), strict=True
    ):
        assert f"#    {line}\n" in (ROOT / lock).read_text(), lock


CHECKERS["lock-commands"] = CHECKERS["lock-commands-docs"] = _lock_commands


@checker("triage-commands")
async def _triage_commands(text: str, tmp_path: Path) -> None:
    """Each `/voc request …` and `/voc theme …` line is read by the real grammar."""
    from bot.domain import admin_commands
    from bot.domain.admin_commands import Words

    for line in _code(text).splitlines():
        typed = line.split("  #", 1)[0].strip()
        verb, _, rest = typed.removeprefix("/voc ").partition(" ")
        parse = {"request": admin_commands.parse_request, "theme": admin_commands.parse_theme}
        parse[verb](Words.from_slack(rest))


BAD_SURVEYS = """\
surveys:
  renewal:
    trigger: renewal
    metric: ces
    questions:
      - key: driver
        type: choice
        text: What matters most in your renewal decision?
        options: []
  exit:
    trigger: exit
    questions:
      - {key: q1, type: text, text: "Why are you leaving?"}
      - {key: q2, type: text, text: "What would have kept you?"}
      - {key: q3, type: yes_no, text: "Would you come back?"}
      - {key: q4, type: rating, text: "How was your CSM?"}
      - {key: q5, type: text, text: "Anything else?"}
"""


@producer("surveys-check")
async def _surveys_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """`surveys check` on a file with two mistakes: each named on its line."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "surveys.yaml").write_text(BAD_SURVEYS, encoding="utf-8")
    code, output = await _cli(
        monkeypatch, {}, datetime.now(UTC), "surveys", "check", "surveys.yaml"
    )
    assert code == 1
    return fenced(_shell(("python -m bot surveys check surveys.yaml", output)))


@checker("surveys-file-readme")
@checker("surveys-file")
async def _surveys_file(text: str, tmp_path: Path) -> None:
    """The example SURVEYS_FILE (README and docs/survey-design.md) passes `surveys check`
    and is read as the same sets the settings would load."""
    from typer.testing import CliRunner

    import bot.cli

    path = tmp_path / "surveys.yaml"
    path.write_text(_code(text), encoding="utf-8")
    result = await asyncio.to_thread(
        CliRunner().invoke, bot.cli.cli, ["surveys", "check", str(path)], env={"LOG_LEVEL": "ERROR"}
    )
    assert result.exit_code == 0, result.output
    assert "4 question sets, all valid" in result.output


@checker("layout")
async def _layout(text: str, tmp_path: Path) -> None:
    """Every folder the layout names is there."""
    parent = ROOT
    for line in _code(text).splitlines():
        found = re.match(r"( *)([\w/]+/)", line)
        if not found:
            continue
        if found[1]:
            assert (parent / found[2]).is_dir(), found[2]
        else:
            parent = ROOT / found[2]
            assert parent.is_dir(), found[2]


def _page_input(name: str) -> str:
    return _code(_regions("input")[name][1])


CONTACTS_AT = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


async def _import_contacts(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], tmp_path: Path, csv_text: str
) -> tuple[int, str]:
    (tmp_path / "contacts.csv").write_text(csv_text)
    return await _cli(
        monkeypatch, env, CONTACTS_AT, "import", "contacts", str(tmp_path / "contacts.csv")
    )


def _sqlite(tmp_path: Path) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'voc.db'}"}


@checker("contacts-csv")
async def _contacts_csv(text: str, tmp_path: Path) -> None:
    """The sample contacts CSV imports cleanly."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        code, out = await _import_contacts(monkeypatch, _sqlite(tmp_path), tmp_path, _code(text))
    assert code == 0 and out.startswith("Imported "), out


@producer("import-contacts-errors")
async def _import_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The sample CSV with a wrong email on line 3 and an unknown segment on line 4."""
    header, first, second, third, *rest = _page_input("contacts-csv").splitlines()
    second = second.replace(second.split(",", 1)[0], "not-an-email", 1)
    third = third.replace(",mid-market,", ",tiny,", 1)
    broken = "\n".join([header, first, second, third, *rest]) + "\n"
    code, out = await _import_contacts(monkeypatch, _sqlite(tmp_path), tmp_path, broken)
    assert code == 1
    return fenced(_shell(("python -m bot import contacts contacts.csv", out)))


@checker("delighted-csv")
async def _delighted_csv(text: str, tmp_path: Path) -> None:
    """Checked by the `import-responses` example, which imports it."""
    assert text.count("\n") > 3


@producer("import-responses")
async def _import_responses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The page's Delighted export, imported for the people of the page's contacts CSV."""
    env = _sqlite(tmp_path)
    code, out = await _import_contacts(monkeypatch, env, tmp_path, _page_input("contacts-csv"))
    assert code == 0, out
    (tmp_path / "delighted-export.csv").write_text(_page_input("delighted-csv"))
    path = str(tmp_path / "delighted-export.csv")
    code, out = await _cli(monkeypatch, env, CONTACTS_AT, "import", "responses", path)
    assert code == 0, out
    return fenced(_shell(("python -m bot import responses delighted-export.csv", out)))


async def _session(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], now: datetime, *commands: str
) -> str:
    """Run each command line in turn; the terminal as a person would see it."""
    shown = []
    for line in commands:
        code, out = await _cli(monkeypatch, env, now, *shlex.split(line)[3:])
        assert code == 0, (line, out)
        shown.append((line, out))
    return fenced(_shell(*shown))


@producer("autopilot")
async def _autopilot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    env = _sqlite(tmp_path)
    await _import_contacts(monkeypatch, env, tmp_path, _page_input("contacts-csv"))
    return await _session(
        monkeypatch, env, CONTACTS_AT,
        "python -m bot autopilot nps --every 90d --segment enterprise",
        "python -m bot autopilot list",
        "python -m bot autopilot pause 1",
        "python -m bot autopilot resume 1",
        "python -m bot autopilot stop 1",
    )  # fmt: skip


@producer("wording")
async def _wording(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    template = "How likely are you to recommend {product} to a colleague, {first_name}?"
    return await _session(
        monkeypatch, _sqlite(tmp_path) | {"PRODUCT_NAME": "Acme Cloud"}, CONTACTS_AT,
        f'python -m bot wording set nps --lang en "{template}"',
        "python -m bot wording show",
        "python -m bot wording reset nps --lang en",
    )  # fmt: skip


# ------------------------------------------------------------------------------------------
# sending, against the Slack emulator

TEAM_CSV = """email,account,name,segment,slack_channel
ana@acme.example,Acme Logistics,Ana Lim,enterprise,
ben@acme.example,Acme Logistics,Ben Okafor,enterprise,
nadia@kinabalu.example,Kinabalu Freight,Nadia,mid-market,C0KINABALU
zed@initech.example,Initech,Zed,mid-market,C0INITECHSHRD
nobody@hooli.example,Hooli,,smb,
kim@globex.example,Globex,Kim,smb,
lee@globex.example,Globex,Lee,smb,
"""


async def _with_slack(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    work: Callable[[dict[str, str]], Awaitable[str]],
) -> str:
    """The team of TEAM_CSV imported, with the emulator standing in for Slack: Ana, Ben, Kim
    and Lee are members; Nadia is in another organisation, in Kinabalu's shared channel;
    the bot was never invited to Initech's; nobody at Hooli is in Slack."""
    from bot.devkit.emulator import SlackEmulator
    from tests.harness import BOT_TOKEN

    async with SlackEmulator() as slack:
        for user, email in (("U0ANA", "ana"), ("U0BEN", "ben"), ("U0KIM", "kim"), ("U0LEE", "lee")):
            domain = "acme" if email in ("ana", "ben") else "globex"
            slack.add_user(user, email=f"{email}@{domain}.example", tz="Asia/Kuala_Lumpur")
        slack.add_user("U0NADIA", email="nadia@kinabalu.example", team_id="T0KINABALU")
        slack.add_channel("C0KINABALU", ["U0NADIA"])
        slack.add_user("U0ZED", email="zed@initech.example", team_id="T0INITECH")
        slack.add_channel("C0INITECHSHRD", ["U0ZED"], bot_member=False)
        env = _sqlite(tmp_path) | {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": slack.api_url}
        code, out = await _import_contacts(monkeypatch, env, tmp_path, TEAM_CSV)
        assert code == 0, out
        return await work(env)


@producer("send")
async def _send(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    async def work(env: dict[str, str]) -> str:
        return await _session(
            monkeypatch, env, CONTACTS_AT,
            "python -m bot send nps --now --unreachable unreached.csv",
        )  # fmt: skip

    return await _with_slack(tmp_path, monkeypatch, work)


@producer("campaigns")
async def _campaigns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    async def work(env: dict[str, str]) -> str:
        for line in (
            "send nps --segment enterprise --now", "run-due", "send csat --segment smb",
            "send nps --segment mid-market", "autopilot nps --every 90d",
        ):  # fmt: skip
            code, out = await _cli(monkeypatch, env, CONTACTS_AT, *shlex.split(line))
            assert code == 0, (line, out)
        return await _session(
            monkeypatch, env, CONTACTS_AT,
            "python -m bot campaigns",
            "python -m bot campaigns cancel 2",
            'python -m bot campaigns reschedule 3 --at "2026-12-08 09:30"',
        )  # fmt: skip

    return await _with_slack(tmp_path, monkeypatch, work)


# ------------------------------------------------------------------------------------------
# the tests (last: the producers and checkers above register themselves first)


def test_every_block_of_every_page_is_an_example_an_input_or_a_recorded_run() -> None:
    for page in PAGES:
        text = page.read_text()
        covered = [(m.start(), m.end()) for m in REGION.finditer(text)]
        fences = [m.start() for m in FENCE.finditer(text)]
        openings = fences[::2]
        for at in openings:
            line = text.count("\n", 0, at) + 1
            inside = any(start <= at < end for start, end in covered)
            before = text[:at].rstrip("\n").rsplit("\n", 1)[-1].strip()
            recorded = before.startswith("<!-- recorded: ")
            assert inside or recorded, (
                f"{page.name}:{line}: a code block that is neither an example, an input nor a "
                "recorded run (tests/test_docs_examples.py says how to mark it)"
            )


def test_no_page_has_an_indented_code_block() -> None:
    """Code is fenced, so that the test above sees every block."""
    for page in PAGES:
        fence, previous = False, ""
        for number, line in enumerate(page.read_text().splitlines(), 1):
            if FENCE.match(line):
                fence = not fence
            elif not fence and not previous.strip() and re.match(r" {4,}\S", line):
                raise AssertionError(f"{page.name}:{number}: an indented code block; fence it")
            previous = line


def test_every_marked_example_and_input_has_its_producer() -> None:
    assert set(_regions("example")) == set(PRODUCERS)
    assert set(_regions("input")) == set(CHECKERS)


@pytest.mark.parametrize("name", sorted(PRODUCERS))
async def test_the_example_is_what_the_code_prints(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page, body = _regions("example")[name]
    produced = await PRODUCERS[name](tmp_path, monkeypatch)
    if WRITE and produced != body:
        text = page.read_text()
        start = f"<!-- example: {name} -->\n"
        head, rest = text.split(start, 1)
        page.write_text(head + start + produced + "<!-- /example -->\n" + rest.split(
            "<!-- /example -->\n", 1)[1])  # fmt: skip
        return
    diff = "".join(
        difflib.unified_diff(
            body.splitlines(keepends=True), produced.splitlines(keepends=True), "page", "code"
        )
    )
    assert produced == body, (
        f"{page.relative_to(ROOT)}: the example {name} is stale; `{REGENERATE}` rewrites it.\n"
        + diff
    )


@pytest.mark.parametrize("name", sorted(CHECKERS))
async def test_the_input_is_read_by_the_real_code(name: str, tmp_path: Path) -> None:
    _page, body = _regions("input")[name]
    await CHECKERS[name](body, tmp_path)
