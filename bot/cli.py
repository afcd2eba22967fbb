"""The command line: `python -m bot …` and `vocbot …` (every command: docs/operations.md)."""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import typer
from typer.core import TyperGroup

from blocks import admin as admin_text
from blocks import terminal
from bot.core import logs
from bot.core.config import Settings, load_settings
from bot.core.ports import ensure_free
from bot.core.progress import drawn
from bot.core.runtime import Runtime, build_runtime
from bot.domain import admin_commands, contacts_csv
from bot.domain.crm import CrmObject, Progress
from bot.domain.errors import ConfigError, UserError, VocError
from bot.domain.progress import OnProgress, Stage, Tick, unseen

T = TypeVar("T")

# What a newcomer runs first, listed first in --help; the others in the order they are defined.
TRY_IT_FIRST = ("demo", "sandbox")


class _Help(TyperGroup):
    """Plain help (rich_markup_mode=None: Typer's rich panels print "<bool>" beside every
    flag) that lists `demo` and `sandbox` first and gives each command's whole first line."""

    def list_commands(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        names = super().list_commands(ctx)
        first = [name for name in TRY_IT_FIRST if name in names]
        return first + [name for name in names if name not in first]

    def format_commands(self, ctx: typer.Context, formatter: Any) -> None:  # type: ignore[override]
        rows = [
            (name, command.get_short_help_str(limit=1000))
            for name in self.list_commands(ctx)
            if (command := self.get_command(ctx, name)) is not None and not command.hidden
        ]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


cli = typer.Typer(
    cls=_Help,
    help="VoC bot: customer-feedback surveys and follow-ups inside Slack.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _print_version(given: bool) -> None:
    if given:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"vocbot {version('vocbot')}")
        except PackageNotFoundError:  # run from a checkout never installed
            typer.echo("vocbot (not installed: pip install --no-deps . gives it a version)")
        raise typer.Exit()


@cli.callback()
def _root(
    _version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", callback=_print_version, is_eager=True
        ),
    ] = False,
) -> None:
    """The options before any command: --version."""


import_cli = typer.Typer(cls=_Help, help="Bring data in.", no_args_is_help=True)
db_cli = typer.Typer(cls=_Help, help="Database maintenance.", no_args_is_help=True)
cli.add_typer(import_cli, name="import")
cli.add_typer(db_cli, name="db")
export_cli = typer.Typer(cls=_Help, help="Take data out.", no_args_is_help=True)
cli.add_typer(export_cli, name="export")
webhooks_cli = typer.Typer(cls=_Help, help="Outgoing webhooks given up on.", no_args_is_help=True)
cli.add_typer(webhooks_cli, name="webhooks")


def _settings(*required: str) -> Settings:
    settings = load_settings()
    settings.require(*required)
    logs.configure(settings.log_level, settings.log_format)
    return settings


def _run(settings: Settings, work: Callable[[Runtime], Awaitable[T]]) -> T:
    async def main() -> T:
        rt = build_runtime(settings)
        try:
            await rt.start()
            await rt.db.upgrade()
            return await work(rt)
        except Exception:
            await asyncio.sleep(0.1)  # a failed connection's driver thread still answers
            raise
        finally:
            await rt.close()

    return asyncio.run(main())


def _preflight(settings: Settings) -> None:
    """Open and migrate the database and check the token with Slack before a long-running
    command starts its loop, so a bad DATABASE_URL or token stops it with one line (see
    `main`); says which workspace and bot it is, and warns about VOC_CHANNEL."""
    from bot.services.startup import check_slack

    identity = _run(settings, check_slack)
    typer.echo(terminal.connected(identity.team, identity.bot_name), err=True)
    if settings.jira_on:  # a refused Jira token or project: one line, exit 2
        from bot.services.jira_push import check_at_start

        _run(settings, check_at_start)


def _metrics_port_free(settings: Settings) -> None:
    """METRICS_PORT taken: one line, exit 2, before anything starts (bot/core/ports.py)."""
    ensure_free(settings.metrics_port, given_by="METRICS_PORT")


@cli.command()
def emulator(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1; 0 picks a free one.")] = 0,
) -> None:
    """The local Slack emulator, for trying `serve` and `send` without a Slack workspace."""
    from bot.devkit import emulator_server

    ensure_free(port, given_by="--port", host="127.0.0.1")
    asyncio.run(emulator_server.run(sys.stdout, port=port))


@cli.command()
def sandbox(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1; 0 picks a free one.")] = 0,
) -> None:
    """Try it in your browser: the emulator, `serve` and the scheduler with sample data."""
    import errno

    from bot.devkit import sandbox as workspace

    ensure_free(port, given_by="--port", host="127.0.0.1")  # before any work, one line
    logs.configure("ERROR")
    try:
        asyncio.run(workspace.run(sys.stdout, port=port))
    except OSError as exc:  # the port is taken (or not ours to bind)
        said = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc.strerror})"
        typer.echo(f"Port {port} {said}: pick another with --port (0 picks a free one).", err=True)
        raise typer.Exit(2) from None


@cli.command()
def serve(
    port: Annotated[int | None, typer.Option(help="Overrides $PORT; 0 picks a free port.")] = None,
    no_scheduler: Annotated[bool, typer.Option("--no-scheduler", help="Only serve HTTP.")] = False,
) -> None:
    """HTTP server: Bolt at POST /slack/events, GET /healthz, and the scheduler."""
    from bot.app import run_server

    settings = _settings("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
    listen = settings.port if port is None else port
    ensure_free(listen, given_by="PORT" if port is None else "--port")
    _metrics_port_free(settings)
    _preflight(settings)
    asyncio.run(run_server(build_runtime(settings), port=listen, scheduler=not no_scheduler))


@cli.command()
def socket() -> None:
    """The same app over Socket Mode (needs SLACK_APP_TOKEN), for local use."""
    from bot.socket_mode import run_socket_mode

    settings = _settings("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
    _metrics_port_free(settings)
    _preflight(settings)
    asyncio.run(run_socket_mode(build_runtime(settings)))


@cli.command()
def worker() -> None:
    """The scheduler alone (the Procfile's second process)."""
    from bot.scheduler import run_worker

    settings = _settings("SLACK_BOT_TOKEN")
    _metrics_port_free(settings)
    _preflight(settings)
    asyncio.run(run_worker(build_runtime(settings)))


@cli.command("run-due")
def run_due() -> None:
    """One pass of every scheduled job, then exit."""
    from bot.scheduler import drain

    settings = _settings("SLACK_BOT_TOKEN")
    report = _run(settings, drain)
    done = {name: count for name, count in vars(report).items() if count}
    typer.echo("Nothing was due." if not done else ", ".join(f"{k}: {v}" for k, v in done.items()))
    if report.jobs_failed:
        raise typer.Exit(1)  # each failed job is an ERROR line above


# The admin verbs: the words after the verb go to their one grammar
# (bot/domain/admin_commands.py), which `/voc` shares; the answers are worded by blocks/admin.py.
ADMIN_WORDS = {"allow_extra_args": True, "ignore_unknown_options": True}


def admin_request(verb: str, words: list[str]) -> admin_commands.AdminRequest:
    """The request the command line's words after `verb` ask for."""
    return admin_commands.parse(verb, admin_commands.Words.from_argv(words))


@cli.command(context_settings=ADMIN_WORDS, options_metavar="nps|csat|ces [OPTIONS]")
def send(
    ctx: typer.Context,
    unreachable: Annotated[
        Path | None,
        typer.Option(
            help="Write every contact it could not reach, with the reason, to this CSV.",
            metavar="FILE.csv",
        ),
    ] = None,
) -> None:
    """Create relationship survey invitations; the scheduler delivers them.

    send nps|csat|ces [--segment enterprise|mid-market|smb] [--account NAME]
    [--email EMAIL] [--now] [--sample 30%|200 [--seed N]]

    --now makes them due now, not in the Tue–Thu 09–11 local window.

    --sample asks a random share of the audience, stratified by segment; the size and seed
    are printed, and --seed repeats a draw.
    """
    from bot.services.audit import CLI
    from bot.services.surveys import send as run_send
    from bot.services.surveys import write_unreachable

    request = admin_request("send", ctx.args)
    assert isinstance(request, admin_commands.SendRequest)
    settings = _settings("SLACK_BOT_TOKEN")
    with drawn(terminal.progress_line) as on_progress:  # a bar on a terminal, else nothing
        report = _run(
            settings,
            lambda rt: run_send(rt, request, by=CLI, now=rt.now(), on_progress=on_progress),
        )
    typer.echo(admin_text.send_summary(report))
    if unreachable is not None:
        try:
            with unreachable.open("w", encoding="utf-8", newline="") as out:
                write_unreachable(report, out)
        except OSError as exc:
            raise UserError(f"Cannot write {unreachable}: {exc}. Give a writable path.") from None
        typer.echo(f"Wrote {len(report.unreachable)} unreachable contacts to {unreachable}.")


def _read_csv(file: Path) -> str:
    """The text of a UTF-8 CSV file (a byte-order mark is dropped), or a clear error."""
    try:
        return file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"Cannot read {file}: {exc}. Give the path of a UTF-8 CSV file.") from None


_CONTACT_COLUMNS = (
    f"Columns, in any order and case: {', '.join(contacts_csv.REQUIRED_COLUMNS)} (required), "
    f"{', '.join(c for c in contacts_csv.COLUMNS if c not in contacts_csv.REQUIRED_COLUMNS)}. "
    "One line per contact; what each column accepts: docs/surveys.md."
)


@import_cli.command("contacts", epilog=_CONTACT_COLUMNS)
def import_contacts(
    file: Annotated[Path, typer.Argument(help="CSV with a header row.", metavar="FILE.csv")],
) -> None:
    """Upsert accounts and contacts from a CSV; any bad row → nothing imported, exit 1."""
    from functools import partial

    from bot.services import roles
    from bot.services.crm_sync import owned_fields
    from bot.services.importer import import_contacts as run_import

    settings = _settings()
    csv_text = _read_csv(file)
    with drawn(terminal.progress_line) as on_progress:
        report = _run(
            settings,
            lambda rt: run_import(
                db=rt.db,
                csv_text=csv_text,
                now=rt.now(),
                milestone_days=settings.milestone_days,
                # with a bot token, Slack says whether each CSM is of our own organisation
                external=partial(roles.is_external, rt) if settings.slack_bot_token else None,
                crm_owned=owned_fields(settings),  # a change to one is said, and the CRM wins
                on_progress=on_progress,
            ),
        )
    typer.echo(terminal.import_report(report), err=bool(report.errors))
    if report.errors:
        raise typer.Exit(1)


@import_cli.command("responses")
def import_responses(
    file: Annotated[
        Path,
        typer.Argument(help="CSV exported from Delighted, SurveyMonkey, …", metavar="FILE.csv"),
    ],
) -> None:
    """Past answers from another survey tool; any bad row → nothing imported, exit 1."""
    from bot.services.history import import_responses as run_import

    settings = _settings()
    csv_text = _read_csv(file)
    with drawn(terminal.progress_line) as on_progress:
        report = _run(
            settings, lambda rt: run_import(db=rt.db, csv_text=csv_text, on_progress=on_progress)
        )
    typer.echo(terminal.history_report(report), err=bool(report.errors))
    if report.errors:
        raise typer.Exit(1)


@import_cli.command("usage")
def import_usage(
    file: Annotated[
        Path,
        typer.Argument(help="CSV with columns account, metric, value, at.", metavar="FILE.csv"),
    ],
) -> None:
    """Usage and support volume per account; any bad line → nothing imported, exit 1."""
    from blocks.health import usage_report
    from bot.services.usage import import_usage as run_import

    settings = _settings()
    csv_text = _read_csv(file)
    report = _run(settings, lambda rt: run_import(rt, csv_text, rt.now()))
    typer.echo(usage_report(report), err=bool(report.errors))
    if report.errors:
        raise typer.Exit(1)


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations (also done on start)."""
    settings = _settings()

    async def nothing(_rt: Runtime) -> None:
        return None

    _run(settings, nothing)
    typer.echo("Database is up to date.")


@cli.command()
def demo(
    out: Annotated[
        Path | None, typer.Option(help="Folder for the demo's database and chart (default: temp).")
    ] = None,
) -> None:
    """The whole program offline: local Slack emulator, sample data, what each person sees."""
    from bot.devkit import demo as player

    logs.configure("ERROR")
    player.main(sys.stdout, out)


@cli.command()
def digest(
    post: Annotated[bool, typer.Option("--post", help="Post it to DIGEST_CHANNEL now.")] = False,
) -> None:
    """Print the weekly digest as text; --post posts it to DIGEST_CHANNEL."""
    from blocks.digest import digest_text
    from bot.services.digest import build_digest, post_now

    settings = _settings("SLACK_BOT_TOKEN") if post else _settings()

    async def work(rt: Runtime) -> str:
        if post:
            channel, _ts = await post_now(rt, rt.now())
            return f"Posted the digest to {channel}."
        return digest_text(await build_digest(rt, rt.now()))

    typer.echo(_run(settings, work).rstrip("\n"))


@export_cli.command("responses")
def export_responses(
    format: Annotated[str, typer.Option("--format", help="csv or jsonl")] = "csv",
) -> None:
    """All responses with account fields, to stdout, streamed."""
    from bot.services.export import export_responses as run_export

    settings = _settings()
    _run(settings, lambda rt: run_export(db=rt.db, out=sys.stdout, format=format))


@cli.command(context_settings=ADMIN_WORDS, options_metavar="nps|csat|list|pause|resume|stop …")
def autopilot(ctx: typer.Context) -> None:
    """Relationship surveys that repeat by themselves (docs/programs.md).

    autopilot nps|csat [--every 90d|12w|3m] [--segment S]: ask everyone (or
    a segment) once every period, a few each send day.

    autopilot list: every autopilot with what it has asked so far.

    autopilot pause|resume|stop ID: hold back what has not gone out, ask
    again, or end it for good.
    """
    from bot.services import autopilot as service

    request = admin_request("autopilot", ctx.args)

    async def work(rt: Runtime) -> list[str]:
        if isinstance(request, admin_commands.AutopilotOn):
            return [
                admin_text.autopilot_on(await service.turn_on(rt, request)),
                "Each contact is asked once per period, Tue-Thu 09-11 their time, spread evenly.",
            ]
        if isinstance(request, admin_commands.AutopilotChange):
            return [admin_text.autopilot_changed(await service.change(rt, request))]
        return [admin_text.autopilot_list(await service.list_autopilots(rt), "")]

    for line in _run(_settings(), work):
        typer.echo(line)


@cli.command()
def forget(email: Annotated[str, typer.Argument(help="The person's email.")]) -> None:
    """Erase a person everywhere (an erasure request); their scores stay, anonymous."""
    from bot.services.privacy import forget as run_forget

    changed = _run(_settings(), lambda rt: run_forget(rt, email))
    for line in terminal.forgot(email.strip().lower(), changed):
        typer.echo(line)


@export_cli.command("contact")
def export_contact(email: Annotated[str, typer.Argument(help="The person's email.")]) -> None:
    """Everything held about one person, as JSON on stdout (an access request)."""
    from bot.services.privacy import export_contact as run_export

    _run(_settings(), lambda rt: run_export(rt, email, sys.stdout))


@cli.command()
def audit(
    limit: Annotated[int, typer.Option(help="How many of the latest entries.")] = 200,
) -> None:
    """List admin actions (send, ship, forget, export contact): when, who, what."""
    from bot.services.audit import latest

    for line in terminal.audit_lines(_run(_settings(), lambda rt: latest(rt, limit))):
        typer.echo(line)


@webhooks_cli.command("failed")
def webhooks_failed() -> None:
    """List the webhooks given up on after WEBHOOK_GIVE_UP."""
    from bot.services.webhooks import dead_letters

    typer.echo(terminal.dead_letters(_run(_settings(), dead_letters)))


@webhooks_cli.command("retry")
def webhooks_retry(
    webhook_id: Annotated[int, typer.Argument(help="The id `failed` shows.")],
) -> None:
    """Send a given-up webhook again (due at once)."""
    from bot.services.webhooks import retry_dead_letter

    _run(_settings(), lambda rt: retry_dead_letter(rt, webhook_id))
    typer.echo(terminal.webhook_due(webhook_id))


# `crm …`: the CRM connection (bot/connectors/, bot/services/crm_sync.py).
crm_app = typer.Typer(
    cls=_Help,
    help="The CRM (HubSpot or Salesforce): sync, setup, check, status, retry.",
    no_args_is_help=True,
)
cli.add_typer(crm_app, name="crm")


@crm_app.command("sync")
def crm_sync(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would change; write nothing.")
    ] = False,
    full: Annotated[
        bool, typer.Option("--full", help="Read every record, not only what changed.")
    ] = False,
) -> None:
    """Pull companies, contacts and owners from the CRM (incremental after the first pass)."""
    from bot.services.crm_sync import sync

    settings = _settings("SLACK_BOT_TOKEN", "CRM")
    with drawn(terminal.progress_line) as on_tick:  # a bar on a terminal, else nothing
        summary = _run(
            settings,
            lambda rt: sync(
                rt, now=rt.now(), full=full, dry_run=dry_run, on_progress=_crm_ticks(on_tick)
            ),
        )
    for line in terminal.crm_changes(summary):
        typer.echo(line)
    typer.echo(terminal.crm_summary(summary))


def _crm_ticks(on_tick: OnProgress) -> Callable[[Progress], None] | None:
    """The CRM sync's pages as ticks of the bar; None when nobody watches."""
    if on_tick is unseen:
        return None

    def tick(progress: Progress) -> None:
        company = progress.object is CrmObject.COMPANY
        stage = Stage.COMPANIES if company else Stage.CRM_CONTACTS
        on_tick(Tick(stage, progress.records, None, pages=progress.pages))

    return tick


@cli.command(context_settings=ADMIN_WORDS, options_metavar="set|show|reset …")
def wording(ctx: typer.Context) -> None:
    """The question each survey asks, per kind and language (docs/programs.md, "Question wording").

    wording set nps|csat|ces [--lang en|ms] "QUESTION": ask it from the next
    survey on ({first_name}, {product}, {csm_name} filled in).

    wording show: the question each kind asks in each language, and whether
    it is the default.

    wording reset nps|csat|ces [--lang en|ms]: back to the default question.
    """
    from bot.services import wording as service
    from bot.services.audit import CLI

    request = admin_request("wording", ctx.args)

    async def work(rt: Runtime) -> str:
        if isinstance(request, admin_commands.WordingSet):
            return admin_text.wording_saved(
                await service.set_wording(rt, request, by=CLI, now=rt.now())
            )
        if isinstance(request, admin_commands.WordingReset):
            return admin_text.wording_restored(
                await service.reset_wording(rt, request, by=CLI, now=rt.now())
            )
        return admin_text.wording_table(await service.show(rt))

    typer.echo(_run(_settings(), work))


@cli.command(context_settings=ADMIN_WORDS, options_metavar="[cancel|reschedule ID …]")
def campaigns(ctx: typer.Context) -> None:
    """Every send and autopilot run: list, cancel, reschedule (docs/programs.md, "Campaigns").

    campaigns: each campaign, created, due, sent, answered, skipped by
    reason.

    campaigns cancel ID: take back what has not gone out (ID as listed: 3,
    or A1 for an autopilot); what is being sent right now finishes.

    campaigns reschedule ID --at "2026-12-08 09:30": move what has not gone
    out, each contact's local time, kept inside Tue–Thu 09:00–11:00.
    """
    from bot.services import campaigns as service
    from bot.services.audit import CLI

    request = admin_request("campaigns", ctx.args)

    async def work(rt: Runtime) -> str:
        if isinstance(request, admin_commands.CampaignCancel):
            return admin_text.campaign_cancelled(
                await service.cancel(rt, request, by=CLI, now=rt.now())
            )
        if isinstance(request, admin_commands.CampaignReschedule):
            return admin_text.campaign_rescheduled(
                await service.reschedule(rt, request, by=CLI, now=rt.now())
            )
        return admin_text.campaign_list(await service.list_campaigns(rt))

    typer.echo(_run(_settings(), work))


# -- crm setup / check / status / retry (the push's side; `crm sync` is the pull's) --------------


@crm_app.command("setup")
def crm_setup() -> None:
    """Create the voc_* fields VoC bot writes; prints the ones to add by hand, and where."""
    from bot.services.crm_admin import setup

    for line in terminal.crm_setup(_run(_settings("CRM"), setup)):
        typer.echo(line)


@crm_app.command("check")
def crm_check() -> None:
    """Check the voc_* fields and the CRM_FIELD_* mapping against the CRM's schema; exit 2
    when any is missing."""
    from bot.services.crm_admin import check

    result = _run(_settings("CRM"), check)
    for line in terminal.crm_check(result):
        typer.echo(line, err=bool(result.missing))
    if result.missing:
        raise typer.Exit(2)


@crm_app.command("status")
def crm_status() -> None:
    """The last sync, and the pushes pending or given up on with their last errors."""
    from bot.services.crm_admin import status

    for line in terminal.crm_status(_run(_settings("CRM"), status)):
        typer.echo(line)


@crm_app.command("retry")
def crm_retry(
    event_id: Annotated[int, typer.Argument(help="The id `crm status` shows.")],
) -> None:
    """Send a CRM push given up on again (due at once)."""
    from bot.services.crm_admin import retry

    _run(_settings(), lambda rt: retry(rt, event_id))
    typer.echo(terminal.crm_due(event_id))


# `zendesk sync`: the polling fallback over Zendesk's incremental export.
zendesk_app = typer.Typer(
    cls=_Help, help="Zendesk: solved tickets in, CSAT notes back.", no_args_is_help=True
)
cli.add_typer(zendesk_app, name="zendesk")


@zendesk_app.command("sync")
def zendesk_sync() -> None:
    """Take the tickets solved since the last poll (what a lost webhook missed), once each."""
    from blocks import zendesk as words
    from bot.domain.zendesk import SyncSummary
    from bot.services.zendesk_tickets import sync

    settings = _settings("SLACK_BOT_TOKEN", "ZENDESK_URL", "ZENDESK_EMAIL", "ZENDESK_TOKEN")
    tty = sys.stderr.isatty()

    def progress(summary: SyncSummary) -> None:
        sys.stderr.write("\r\x1b[K" + words.sync_progress(summary))
        sys.stderr.flush()

    try:
        summary = _run(settings, lambda rt: sync(rt, rt.now(), progress=progress if tty else None))
    finally:
        if tty:
            sys.stderr.write("\r\x1b[K")
    typer.echo(words.sync_summary(summary))


def main() -> None:
    """Entry point: user-caused errors become one line on stderr.

    However the command ends, what it built is frozen out of the garbage collector's way
    first: a process about to exit need not have its collector walk every object it made
    (a `crm sync` of 20,000 contacts spent a third of a second on that after its work).
    """
    try:
        cli(prog_name=_prog_name())
    except VocError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2 if isinstance(exc, ConfigError) else 1)
    except Exception as exc:
        failure = _startup_failure(exc)
        if failure is None:
            raise
        typer.echo(f"error: {failure}", err=True)
        sys.exit(2)
    finally:
        gc.freeze()


def _prog_name() -> str:
    """How the person started us, as the README writes it: `python -m bot` (or `vocbot`)."""
    started = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return "python -m bot" if started in ("__main__.py", "-m", "-c", "") else started


def _startup_failure(exc: Exception) -> ConfigError | None:
    """A database or Slack that cannot be reached, as one line (bot/core/diagnose.py)."""
    from bot.core.diagnose import startup_failure

    try:
        settings = load_settings()
    except ConfigError:
        return None
    return startup_failure(
        exc,
        database_url=settings.database_url.get_secret_value(),
        slack_url=settings.slack_api_url,
    )


# `report you-said-we-did`: the month's shipped requests and fixed themes (bot/services/you_said.py)
report_cli = typer.Typer(
    cls=_Help, help="Reports: monthly, quarterly, you-said-we-did.", no_args_is_help=True
)
cli.add_typer(report_cli, name="report")


@report_cli.command("you-said-we-did")
def you_said_we_did(
    month: Annotated[
        str | None, typer.Option("--month", help="YYYY-MM; default: the month before this one.")
    ] = None,
    tell_customers: Annotated[
        bool,
        typer.Option(
            "--tell-customers",
            help="Also send the customers who asked for an opted-in request their note, once.",
        ),
    ] = False,
) -> None:
    """Print the monthly roll-up of what shipped and what was fixed, with accounts and ARR."""
    from blocks.you_said import rollup_text
    from bot.domain.triage import month_named
    from bot.services import you_said

    if month is not None:
        month_named(month)  # a bad month is said before anything opens
    settings = _settings("SLACK_BOT_TOKEN") if tell_customers else _settings()

    async def work(rt: Runtime) -> str:
        rollup = await you_said.build(rt, month or you_said.default_month(rt, rt.now()), rt.now())
        text = rollup_text(rollup)
        if tell_customers:
            told = await you_said.tell_customers(rt, rollup, rt.now())
            text += f"\nTold {told} customers who asked.\n"
        return text

    typer.echo(_run(settings, work).rstrip("\n"))


# `surveys list|show NAME|check FILE`: question sets (bot/services/question_sets.py)
surveys_cli = typer.Typer(
    cls=_Help, help="Question sets: the follow-ups each survey asks.", no_args_is_help=True
)
cli.add_typer(surveys_cli, name="surveys")


@surveys_cli.command("list")
def surveys_list() -> None:
    """Every question set in force (SURVEYS_FILE and changes made with /voc survey)."""
    from blocks.question_sets import set_line
    from bot.services import question_sets

    sets = _run(_settings(), lambda rt: question_sets.current(rt, rt.now()))
    typer.echo("\n".join(set_line(s) for s in sets) if sets else "No question sets.")


@surveys_cli.command("show")
def surveys_show(name: Annotated[str, typer.Argument(help="The set's name.")]) -> None:
    """A set as respondents see it, and its earlier versions."""
    from blocks.question_sets import set_preview
    from bot.domain.question_sets import SetError
    from bot.services import question_sets

    async def work(rt: Runtime) -> list:
        await question_sets.current(rt, rt.now())
        return await question_sets.versions(rt, name)

    settings = _settings()
    versions = _run(settings, work)
    if not versions:
        raise SetError(f"no question set named {name!r}; see `python -m bot surveys list`")
    typer.echo(set_preview(versions[-1], product=settings.product_name))
    if len(versions) > 1:
        typer.echo(f"  earlier versions: {', '.join(f'v{v.version}' for v in versions[:-1])}")


@surveys_cli.command("check")
def surveys_check(
    path: Annotated[str, typer.Argument(help="A YAML or TOML surveys file.")],
) -> None:
    """Check a surveys file without loading it: every problem with its line number."""
    from blocks.question_sets import set_line
    from bot.services import question_sets

    checked = question_sets.check_file(path)
    if checked.problems:
        for problem in checked.problems:
            where = f"{path}:{problem.line}" if problem.line else path
            typer.echo(f"{where}: {problem.message}", err=True)
        raise typer.Exit(1)
    typer.echo(f"{path}: {len(checked.sets)} question sets, all valid")
    for qset in checked.sets:
        typer.echo(f"  {set_line(qset)}")


# `report monthly|quarterly`: the leadership reports (bot/services/leadership.py)
def _leadership(
    kind: Literal["monthly", "quarterly"], given: str | None, post: bool, pdf: Path | None
) -> None:
    from zoneinfo import ZoneInfo

    from bot.domain.report_periods import last_closed, parse_period
    from bot.services import leadership
    from bot.services.report_files import report_pdf

    try:
        chosen = parse_period(kind, given) if given is not None else None
    except ValueError as exc:
        raise UserError(str(exc)) from None
    settings = _settings("SLACK_BOT_TOKEN") if post else _settings()

    async def work(rt: Runtime) -> str:
        zone = ZoneInfo(rt.settings.digest_tz)
        period = chosen or last_closed(kind, rt.now().astimezone(zone).date())
        report = await leadership.build(rt, period)
        out = [leadership.text_of(report).rstrip("\n")]
        if pdf is not None:
            try:
                pdf.write_bytes(await asyncio.to_thread(report_pdf, report))
            except OSError as exc:
                raise UserError(f"Cannot write {pdf}: {exc}. Give a writable path.") from None
            out.append(f"Wrote the PDF to {pdf}.")
        if post:
            channel, _ts = await leadership.post_now(rt, report)
            out.append(f"Posted the report to {channel}.")
        return "\n".join(out)

    typer.echo(_run(settings, work))


_POST = typer.Option("--post", help="Also post it to REPORT_CHANNEL now, with chart and PDF.")
_PDF = typer.Option("--pdf", help="Also write it as a PDF to FILE.", metavar="FILE")


@report_cli.command("monthly")
def report_monthly(
    month: Annotated[
        str | None, typer.Option("--month", help="YYYY-MM; default: the month before this one.")
    ] = None,
    post: Annotated[bool, _POST] = False,
    pdf: Annotated[Path | None, _PDF] = None,
) -> None:
    """The month's NPS, CSAT, CES, segments, themes, follow-ups, shipped and churned."""
    _leadership("monthly", month, post, pdf)


@report_cli.command("quarterly")
def report_quarterly(
    quarter: Annotated[
        str | None,
        typer.Option("--quarter", help="YYYY-Qn; default: the quarter before this one."),
    ] = None,
    post: Annotated[bool, _POST] = False,
    pdf: Annotated[Path | None, _PDF] = None,
) -> None:
    """The quarter's figures against the quarter before: the leadership deep dive."""
    _leadership("quarterly", quarter, post, pdf)
