from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from blocks.terminal import import_report as format_report
from bot.domain.contacts_csv import COLUMNS, RowError
from bot.domain.imports import ImportReport
from bot.domain.names import InvalidEmail, clean_email, name_key, parse_email, segment_named
from bot.services.importer import import_contacts
from storage.db import Database
from storage.models import Account, Contact

pytestmark = pytest.mark.postgres
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
HEADER = ",".join(COLUMNS)


def _line(email: str = "ana@acme.test", account: str = "Acme", **cells: str) -> str:
    """One CSV line in HEADER order; unnamed cells are empty."""
    cells = {"email": email, "account": account, **cells}
    assert set(cells) <= set(COLUMNS)
    return ",".join(cells.get(column, "") for column in COLUMNS)


async def _import(db: Database, *lines: str, now: datetime = NOW) -> ImportReport:
    return await import_contacts(db=db, csv_text="\n".join(lines) + "\n", now=now)


async def _counts(db: Database) -> tuple[int, int]:
    async with db.session() as session:
        accounts = await session.execute(select(func.count()).select_from(Account))
        contacts = await session.execute(select(func.count()).select_from(Contact))
        return accounts.scalar_one(), contacts.scalar_one()


async def _account(db: Database, key: str) -> Account:
    async with db.session() as session:
        result = await session.execute(select(Account).where(Account.name_key == key))
        return result.scalar_one()


async def _contact(db: Database, email: str) -> Contact:
    async with db.session() as session:
        return (await session.execute(select(Contact).where(Contact.email == email))).scalar_one()


def _messages(report: ImportReport) -> list[str]:
    return [str(error) for error in report.errors]


# name_key and clean_email


@pytest.mark.parametrize("name", ["Acme, Inc.", "acme inc", "ÀCME  Inc", " ACME\tinc ", "Acme Inc"])
def test_spellings_of_one_company_share_a_key(name: str) -> None:
    assert name_key(name) == "acme inc"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Café Zürich", "cafe zurich"),
        ("Straße", "strasse"),
        ("Coca-Cola", "coca cola"),
        ("O'Reilly Media", "oreilly media"),
        ("ＡＣＭＥ", "acme"),
        ("...", ""),
    ],
)
def test_name_key_folds_marks_case_width_and_punctuation(name: str, key: str) -> None:
    assert name_key(name) == key


def test_different_companies_keep_different_keys() -> None:
    assert name_key("Acme") != name_key("Acme Labs")
    assert name_key("AB Corp") != name_key("ABC orp")


def test_clean_email_trims_and_lowers() -> None:
    assert clean_email("  Ana.Lim@Acme.TEST ") == "ana.lim@acme.test"


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("  Ana.Lim@Acme.TEST ", "ana.lim@acme.test"),
        ("ana+vip@acme.com", "ana+vip@acme.com"),
        ("ana@eu.mail.acme.com", "ana@eu.mail.acme.com"),
    ],
)
def test_parse_email_gives_the_stored_form(text: str, stored: str) -> None:
    assert parse_email(text) == stored


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("a@x..com", "it cannot have two periods in a row"),
        ("bob@acme", "should have a period"),
        ("bob(at)acme.com", "it must have an @-sign"),
        ("Ana <ana@acme.com>", "display name"),
        ("ana@acme.com,", "invalid characters"),
        ("a" * 250 + "@acme.com", "it is too long"),
    ],
)
def test_parse_email_says_why_it_refuses(text: str, reason: str) -> None:
    with pytest.raises(InvalidEmail, match=reason):
        parse_email(text)


@pytest.mark.parametrize(
    ("text", "segment"),
    [
        ("Mid Market", "mid-market"),
        ("mid_market", "mid-market"),
        (" MIDMARKET ", "mid-market"),
        ("SMB", "smb"),
        ("enterprize", None),
        ("", None),
    ],
)
def test_segment_named_forgives_case_spaces_and_underscores(text: str, segment: str | None) -> None:
    assert segment_named(text) == segment


# successful imports


async def test_import_creates_accounts_and_contacts(db: Database) -> None:
    report = await _import(
        db,
        HEADER,
        _line(
            "Ana@Acme.test",
            '"Acme, Inc."',
            name="Ana Lim",
            slack_user_id="U012AB3CD",
            segment="Mid Market",
            industry="Retail",
            plan="Pro",
            arr='"$12,000.50"',
            customer_since="2024-01-31",
            health="GREEN",
            csm="W0CSM01",
        ),
        _line("bo@acme.test", "acme inc"),
        _line("cy@globex.test", "Globex", segment="SMB", arr="900"),
    )
    assert report == ImportReport(accounts_created=2, contacts_created=3)
    assert format_report(report) == (
        "Imported 3 contacts (3 new, 0 updated) in 2 accounts (2 new, 0 updated)."
    )
    assert await _counts(db) == (2, 3)
    acme = await _account(db, "acme inc")
    assert (acme.name, acme.segment, acme.industry, acme.plan) == (
        "Acme, Inc.",
        "mid-market",
        "Retail",
        "Pro",
    )
    assert (acme.arr, acme.customer_since, acme.health, acme.csm_user_id) == (
        12000.5,
        date(2024, 1, 31),
        "green",
        "W0CSM01",
    )
    assert acme.updated_at == NOW
    ana = await _contact(db, "ana@acme.test")
    assert (ana.name, ana.slack_user_id, ana.account_id, ana.updated_at) == (
        "Ana Lim",
        "U012AB3CD",
        acme.id,
        NOW,
    )
    assert (await _contact(db, "bo@acme.test")).account_id == acme.id
    assert (await _account(db, "globex")).segment == "smb"


async def test_shared_channel_and_locale_are_imported(db: Database) -> None:
    report = await _import(
        db,
        HEADER,
        _line("ana@acme.test", slack_channel="C0ACMESHARED", locale="ms_my"),
        _line("bo@acme.test", locale="en-GB"),
        _line("cy@globex.test", "Globex", slack_channel="G0GLOBEX01"),
    )
    assert not report.errors
    assert (await _account(db, "acme")).slack_channel == "C0ACMESHARED"
    assert (await _account(db, "globex")).slack_channel == "G0GLOBEX01"
    assert (await _contact(db, "ana@acme.test")).locale == "ms-MY"
    assert (await _contact(db, "bo@acme.test")).locale == "en-GB"
    assert (await _contact(db, "cy@globex.test")).locale is None


async def test_two_shared_channels_for_one_account_name_both_lines(db: Database) -> None:
    report = await _import(
        db,
        HEADER,
        _line("ana@acme.test", slack_channel="C0ACMESHARED"),
        _line("bo@acme.test", slack_channel="C0ACMEOTHER"),
    )
    assert _messages(report) == [
        'line 3: account "Acme" has slack_channel "C0ACMEOTHER" here but "C0ACMESHARED" on '
        "line 2; give it one value (or leave one empty)"
    ]
    assert await _counts(db) == (0, 0)


async def test_reimport_updates_without_duplicates(db: Database) -> None:
    lines = [HEADER, _line(segment="smb"), _line("bo@acme.test"), _line("cy@globex.test", "Globex")]
    await _import(db, *lines)
    later = datetime(2026, 12, 1, tzinfo=UTC)
    report = await _import(
        db,
        HEADER,
        _line("ANA@acme.test", "ACME", segment="enterprise"),
        _line("bo@acme.test"),
        _line("cy@globex.test", "Globex"),
        _line("di@globex.test", "Globex"),
        now=later,
    )
    assert report == ImportReport(
        accounts_updated=1,
        accounts_unchanged=1,
        contacts_created=1,
        contacts_unchanged=3,
    )
    assert format_report(report) == (
        "Imported 4 contacts (1 new, 0 updated, 3 unchanged) in 2 accounts "
        "(0 new, 1 updated, 1 unchanged)."
    )
    assert await _counts(db) == (2, 4)
    acme = await _account(db, "acme")
    assert (acme.name, acme.segment, acme.updated_at) == ("ACME", "enterprise", later)
    # updated_at moves only when a value changed
    assert (await _contact(db, "ana@acme.test")).updated_at != later
    assert (await _account(db, "globex")).updated_at != later


async def test_an_unchanged_reimport_says_unchanged(db: Database) -> None:
    lines = [HEADER, _line(segment="smb", arr="500"), _line("bo@acme.test", name="Bo")]
    await _import(db, *lines)
    again = await _import(db, *lines)
    assert again == ImportReport(accounts_unchanged=1, contacts_unchanged=2)
    assert format_report(again) == (
        "Unchanged: 2 contacts in 1 account, already here as the file writes them."
    )
    renamed = await _import(db, HEADER, _line(segment="smb"), _line("bo@acme.test", name="Bob"))
    assert renamed == ImportReport(accounts_unchanged=1, contacts_updated=1, contacts_unchanged=1)
    assert format_report(renamed) == (
        "Imported 2 contacts (0 new, 1 updated, 1 unchanged) in 1 account "
        "(0 new, 0 updated, 1 unchanged)."
    )


async def test_empty_cells_keep_stored_values(db: Database) -> None:
    full = {
        "name": "Ana Lim",
        "slack_user_id": "U012AB3CD",
        "segment": "smb",
        "industry": "Retail",
        "plan": "Pro",
        "arr": "500",
        "customer_since": "2024-01-31",
        "health": "red",
        "csm": "U0CSM01",
    }
    await _import(db, HEADER, _line(**full))
    await _import(db, HEADER, _line(plan="Enterprise"))
    acme = await _account(db, "acme")
    assert (acme.segment, acme.industry, acme.plan, acme.arr) == (
        "smb",
        "Retail",
        "Enterprise",
        500,
    )
    assert (acme.customer_since, acme.health, acme.csm_user_id) == (
        date(2024, 1, 31),
        "red",
        "U0CSM01",
    )
    ana = await _contact(db, "ana@acme.test")
    assert (ana.name, ana.slack_user_id) == ("Ana Lim", "U012AB3CD")


async def test_a_contact_can_move_to_another_account(db: Database) -> None:
    await _import(db, HEADER, _line())
    report = await _import(db, HEADER, _line(account="Globex"))
    assert report == ImportReport(accounts_created=1, contacts_updated=1)
    assert (await _contact(db, "ana@acme.test")).account_id == (await _account(db, "globex")).id


async def test_header_in_any_order_case_and_spacing(db: Database) -> None:
    report = await _import(db, " Segment , ACCOUNT,Email ", "smb,Acme,ana@acme.test")
    assert report.errors == []
    assert (await _account(db, "acme")).segment == "smb"
    assert (await _contact(db, "ana@acme.test")).account_id == (await _account(db, "acme")).id


async def test_bom_crlf_blank_lines_and_short_rows_are_accepted(db: Database) -> None:
    text = "\ufeffemail,account,plan\r\n\r\nana@acme.test,Acme\r\n,,\r\nbo@acme.test,Acme,Pro,,\r\n"
    report = await import_contacts(db=db, csv_text=text, now=NOW)
    assert report == ImportReport(accounts_created=1, contacts_created=2)
    assert (await _account(db, "acme")).plan == "Pro"


@pytest.mark.parametrize(
    ("cells", "stored"),
    [
        ({"segment": "midmarket"}, ("segment", "mid-market")),
        ({"segment": "Enterprise"}, ("segment", "enterprise")),
        ({"arr": '"12,000"'}, ("arr", 12000)),
        ({"arr": "12000.50"}, ("arr", 12000.5)),
        ({"arr": "0"}, ("arr", 0)),
        ({"health": "Yellow"}, ("health", "yellow")),
        ({"customer_since": "2026-11-24"}, ("customer_since", date(2026, 11, 24))),
    ],
)
async def test_accepted_spellings(
    db: Database, cells: dict[str, str], stored: tuple[str, object]
) -> None:
    report = await _import(db, HEADER, _line(**cells))
    assert report.errors == []
    attribute, value = stored
    assert getattr(await _account(db, "acme"), attribute) == value


# what is refused, and where


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ({"email": ""}, "email is empty"),
        ({"email": "bob(at)acme.com"}, 'email "bob(at)acme.com" is not an email address'),
        ({"email": "bob@acme"}, 'email "bob@acme" is not an email address'),
        ({"account": ""}, "account is empty"),
        ({"account": "..."}, 'account "..." has no letters or digits'),
        ({"account": "A" * 201}, "account is longer than 200 characters"),
        (
            {"segment": "enterprize"},
            'segment "enterprize" is not one of enterprise, mid-market, smb',
        ),
        ({"health": "amber"}, 'health "amber" is not one of green, yellow, red'),
        ({"arr": "12k"}, 'arr "12k" is not an amount'),
        ({"arr": '"12,00"'}, 'arr "12,00" is not an amount'),
        ({"arr": "-5"}, 'arr "-5" is negative'),
        ({"customer_since": "31/01/2024"}, 'customer_since "31/01/2024" is not a date'),
        ({"customer_since": "2024-02-30"}, 'customer_since "2024-02-30" is not a date'),
        ({"customer_since": "2026-11-25"}, "customer_since 2026-11-25 is in the future"),
        ({"slack_user_id": "ana"}, 'slack_user_id "ana" is not a Slack user id'),
        ({"slack_user_id": "u012ab3cd"}, 'slack_user_id "u012ab3cd" is not a Slack user id'),
        ({"csm": "@bo"}, 'csm "@bo" is not a Slack user id'),
        ({"plan": "P" * 101}, "plan is longer than 100 characters"),
        ({"slack_channel": "#acme"}, 'slack_channel "#acme" is not a Slack channel id'),
        ({"slack_channel": "U0ACMESHARED"}, 'slack_channel "U0ACMESHARED" is not a Slack channel'),
        ({"slack_channel": "C0AB"}, 'slack_channel "C0AB" is not a Slack channel id'),
        ({"locale": "Malay"}, 'locale "Malay" is not a language tag'),
        ({"locale": "en-GB-x"}, 'locale "en-GB-x" is not a language tag'),
    ],
)
async def test_each_rule_names_the_line(db: Database, cells: dict[str, str], message: str) -> None:
    report = await _import(db, HEADER, _line("ok@acme.test"), _line(**cells))
    assert len(report.errors) == 1
    assert report.errors[0].line == 3
    assert str(report.errors[0]).startswith(f"line 3: {message}")
    assert await _counts(db) == (0, 0)


async def test_the_segment_message_is_exactly_as_documented(db: Database) -> None:
    report = await _import(db, HEADER, _line(), "", _line("bo@acme.test", segment="enterprize"))
    assert _messages(report) == [
        'line 4: segment "enterprize" is not one of enterprise, mid-market, smb'
    ]


async def test_every_bad_row_and_every_problem_is_reported(db: Database) -> None:
    report = await _import(
        db,
        HEADER,
        _line(),
        _line("bo@acme.test", health="blue", arr="lots"),
        "",
        _line("not-an-email"),
        _line("cy@acme.test", ""),
        _line("di@acme.test"),
    )
    assert [(error.line, error.message.split(" ")[0]) for error in report.errors] == [
        (3, "arr"),
        (3, "health"),
        (5, "email"),
        (6, "account"),
    ]
    text = format_report(report)
    assert text.startswith(
        "Nothing was imported: 3 rows have problems. Fix them and run the import again:\n"
    )
    assert text.splitlines()[1:] == [f"  {message}" for message in _messages(report)]


async def test_one_bad_row_writes_nothing(db: Database) -> None:
    await _import(db, HEADER, _line(plan="Pro"))
    report = await _import(
        db,
        HEADER,
        _line(plan="Enterprise"),
        _line("bo@acme.test"),
        _line("cy@globex.test", "Globex"),
        _line("di@globex.test", "Globex", health="purple"),
    )
    assert [error.line for error in report.errors] == [5]
    assert (report.contacts_created, report.accounts_created) == (0, 0)
    assert await _counts(db) == (1, 1)
    assert (await _account(db, "acme")).plan == "Pro"


async def test_the_same_email_twice_names_the_first_line(db: Database) -> None:
    report = await _import(db, HEADER, _line(), _line("bo@acme.test"), _line("ANA@acme.test "))
    assert _messages(report) == [
        "line 4: email ana@acme.test is already on line 2; keep one line per contact"
    ]


async def test_conflicting_account_values_name_both_lines(db: Database) -> None:
    report = await _import(
        db,
        HEADER,
        _line(segment="smb", plan="Pro"),
        _line("bo@acme.test", "ACME", plan="Pro"),
        _line("cy@acme.test", "Acme.", segment="enterprise"),
    )
    assert _messages(report) == [
        'line 4: account "Acme." has segment "enterprise" here but "smb" on line 2; '
        "give it one value (or leave one empty)"
    ]


async def test_equal_values_in_other_spellings_do_not_conflict(db: Database) -> None:
    report = await _import(
        db,
        HEADER,
        _line(segment="mid-market", arr="12000"),
        _line("bo@acme.test", segment="Mid Market", arr='"$12,000"'),
        _line("cy@acme.test", segment="", arr=""),
    )
    assert report.errors == []


async def test_a_row_wider_than_the_header_is_refused(db: Database) -> None:
    report = await _import(db, "email,account", "ana@acme.test,Acme, Inc.")
    assert _messages(report)[0].startswith("line 2: 3 cells but the header has 2 columns")


async def test_lines_count_physical_lines_across_quoted_line_breaks(db: Database) -> None:
    report = await _import(db, "email,account,name", 'ana@acme.test,Acme,"Ana', 'Lim"', "bo@x,Acme")
    assert [error.line for error in report.errors] == [2, 4]
    assert report.errors[0].message.startswith("name runs over several lines")


# the header and the file as a whole


async def test_a_missing_required_column_is_one_error_on_line_one(db: Database) -> None:
    report = await _import(db, "email,name", "ana@acme.test,Ana")
    assert report.errors == [
        RowError(
            1,
            'the required column "account" is missing; the accepted columns are '
            f"{', '.join(COLUMNS)}",
        )
    ]


async def test_both_required_columns_missing_is_still_one_error(db: Database) -> None:
    report = await _import(db, "name,plan", "Ana,Pro")
    assert len(report.errors) == 1
    assert report.errors[0].message.startswith('the required columns "email" and "account" are')


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("email,account,segmnet", 'unknown column "segmnet"; the accepted columns are email,'),
        ("email,account,,plan", "column 3 has no name; the accepted columns are email,"),
        ("email,account,Email", 'column "email" appears twice'),
    ],
)
async def test_header_mistakes_are_reported_on_line_one(
    db: Database, header: str, message: str
) -> None:
    report = await _import(db, header, "ana@acme.test,Acme,x")
    assert len(report.errors) == 1
    assert str(report.errors[0]).startswith(f"line 1: {message}")
    assert await _counts(db) == (0, 0)


@pytest.mark.parametrize("text", ["", "\ufeff", "\n\n", " , \n"])
async def test_an_empty_file_is_an_error(db: Database, text: str) -> None:
    report = await import_contacts(db=db, csv_text=text, now=NOW)
    assert [error.line for error in report.errors] == [1]
    assert report.errors[0].message.startswith("the file is empty")


async def test_a_header_without_rows_is_an_error(db: Database) -> None:
    report = await _import(db, HEADER, "")
    assert _messages(report) == ["line 1: the file has only a header; add one contact per line"]
    assert format_report(report).startswith("Nothing was imported: 1 row has problems.")


def test_format_report_counts_in_the_singular() -> None:
    report = ImportReport(accounts_updated=1, contacts_created=1)
    assert format_report(report) == (
        "Imported 1 contact (1 new, 0 updated) in 1 account (0 new, 1 updated)."
    )
