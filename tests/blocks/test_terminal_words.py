"""What the command line prints: capped problem lists, kinds, hints naming the command."""

from __future__ import annotations

from collections import Counter

from blocks.admin import send_summary
from blocks.terminal import PROBLEM_LINES, import_report
from bot.domain.admin_results import CampaignReport
from bot.domain.imports import ImportReport, RowError


def _bad_emails(count: int) -> list[RowError]:
    return [
        RowError(line, f'"person{line}" is not an email address; write it like ana@example.com')
        for line in range(2, count + 2)
    ]


def test_import_problems_stop_after_twenty_lines_then_count_the_rest_and_each_kind() -> None:
    errors = _bad_emails(120) + [
        RowError(200, 'segment "huge" is not one of enterprise, mid-market, smb'),
        RowError(201, 'segment "tiny" is not one of enterprise, mid-market, smb'),
    ]
    text = import_report(ImportReport(errors=errors)).splitlines()
    assert text[0] == (
        "Nothing was imported: 122 rows have problems. Fix them and run the import again:"
    )
    assert text[1] == '  line 2: "person2" is not an email address; write it like ana@example.com'
    assert len([line for line in text if line.startswith("  line ")]) == PROBLEM_LINES == 20
    assert text[PROBLEM_LINES + 1 :] == [
        "  … and 102 more",
        "The problems by kind:",
        "  120 × … is not an email address",
        "  2 × segment … is not one of enterprise, mid-market, smb",
    ]


def test_a_few_different_problems_are_listed_without_a_summary() -> None:
    errors = [RowError(2, "email is empty; every contact needs an email address")]
    errors.append(RowError(3, 'arr "x" is not an amount; write it like 12000'))
    text = import_report(ImportReport(errors=errors)).splitlines()
    assert text[1:] == [
        "  line 2: email is empty; every contact needs an email address",
        '  line 3: arr "x" is not an amount; write it like 12000',
    ]


def test_one_invitation_is_singular_and_campaign_hints_name_the_command() -> None:
    report = CampaignReport(created=1, campaign_id=4)
    text = send_summary(report)
    assert text.startswith("Created 1 invitation.")
    assert "Campaign 4: `python -m bot campaigns` shows it; `python -m bot campaigns cancel 4`" in (
        text
    )
    assert "`/voc campaigns cancel 4`" in send_summary(report, "/voc ")


def test_already_scheduled_says_how_to_see_and_cancel_them() -> None:
    report = CampaignReport(
        created=0,
        skipped=Counter({"already scheduled": 2}),
        skipped_who={"already scheduled": ["ana@acme.test", "bo@acme.test"]},
    )
    lines = send_summary(report).splitlines()
    at = lines.index("  already scheduled: 2 (ana@acme.test, bo@acme.test)")
    assert lines[at + 1] == (
        "    they wait in an earlier campaign or an autopilot: `python -m bot campaigns` lists "
        "them, `python -m bot campaigns cancel ID` takes one back"
    )
    slack = send_summary(report, "/voc ")
    assert "`/voc campaigns` lists them, `/voc campaigns cancel ID` takes one back" in slack


def test_the_progress_words_count_invitations_right() -> None:
    from blocks.terminal import progress_line
    from bot.domain.progress import Stage, Tick

    assert progress_line(Tick(Stage.CONTACTS, 3, 9, made=1)) == (
        "Resolving contacts, 1 invitation created"
    )
    assert progress_line(Tick(Stage.CONTACTS, 3, 9, made=2)).endswith("2 invitations created")
    assert progress_line(Tick(Stage.ROWS, 1, 2)) == "Writing contacts"


def test_usage_import_counts_in_words() -> None:
    from blocks.health import usage_report
    from bot.domain.usage import UsageReport

    assert usage_report(UsageReport(stored=1, accounts=1)).startswith(
        "Imported 1 usage figure for 1 account;"
    )
    bad = usage_report(UsageReport(errors=[RowError(n, "x") for n in range(2, 27)]))
    assert bad.splitlines()[-2:] == ["… and 5 more", "25 bad lines: nothing was imported."]
