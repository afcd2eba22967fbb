"""The rules of one page of a CRM sync: matching, what changes, what is skipped."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.domain.crm import CRM_OWNED_ACCOUNT_FIELDS, CrmCompany, CrmContact, CrmObject, SyncCount
from bot.domain.crm_sync import (
    CLOCK_MARGIN,
    TICK,
    Cursor,
    StoredAccount,
    StoredContact,
    account_lines,
    company_values,
    contact_lines,
    health_named,
    joined,
    locale_named,
    next_due,
    plan_accounts,
    plan_contacts,
    runs,
    shown,
)

AT = datetime(2026, 12, 1, tzinfo=UTC)
ALL = frozenset(CRM_OWNED_ACCOUNT_FIELDS)


def company(crm_id: str, name: str, **fields: object) -> CrmCompany:
    return CrmCompany(crm_id=crm_id, name=name, modified_at=AT, **fields)  # type: ignore[arg-type]


def stored(id: int, name: str, key: str, crm_id: str | None = None, **fields: object):
    return StoredAccount(id, crm_id, name, key, fields)


def plan(companies, accounts=(), csm=None, mapped=ALL):
    count = SyncCount()
    by_crm_id = {a.crm_id: a for a in accounts if a.crm_id}
    by_key = {a.name_key: a for a in accounts}
    writes = plan_accounts(
        companies,
        by_crm_id=by_crm_id,
        by_key=by_key,
        values=lambda c: company_values(c, mapped, csm),
        count=count,
    )
    return writes, count


def test_a_new_company_is_a_new_account_with_the_crm_fields():
    writes, count = plan([company("1", "Acme, Inc.", arr=120000.0, segment="Mid Market")])
    (write,) = writes
    assert (write.account_id, write.name, write.key) == (None, "Acme, Inc.", "acme inc")
    assert write.fields["arr"] == 120000.0 and write.fields["segment"] == "mid-market"
    assert (count.seen, count.new, count.changed) == (1, 1, 0)


def test_an_account_imported_from_a_csv_is_matched_by_name_and_becomes_the_crms():
    csv_account = stored(7, "ACME inc", "acme inc", arr=100.0)
    writes, count = plan([company("1", "Acme, Inc.", arr=120000.0)], [csv_account])
    (write,) = writes
    assert write.account_id == 7
    assert write.changes["arr"] == (100.0, 120000.0)
    assert write.changes["crm_id"] == (None, "1")
    assert count.changed == 1


def test_the_crm_id_wins_over_the_name_and_a_rename_follows():
    account = stored(7, "Acme", "acme", crm_id="1")
    writes, _ = plan([company("1", "Acme Global")], [account])
    assert (writes[0].account_id, writes[0].key) == (7, "acme global")
    assert writes[0].changes["name"] == ("Acme", "Acme Global")


def test_two_companies_of_one_name_get_two_accounts():
    other = stored(3, "Acme", "acme", crm_id="9")  # another CRM record already has the name
    writes, count = plan([company("1", "Acme"), company("2", "Acme")], [other])
    assert [w.account_id for w in writes] == [None, None]
    assert {w.key for w in writes} == {"acme 1", "acme 2"}
    assert count.new == 2


def test_an_unchanged_company_changes_nothing():
    values = {f: None for f in ALL if f not in ("name", "csm_user_id")} | {"domain": "acme.com"}
    account = stored(7, "Acme", "acme", crm_id="1", **values)
    writes, count = plan([company("1", "Acme", domain="acme.com")], [account])
    assert writes[0].changes == {} and count.changed == 0


def test_an_unsynced_field_and_an_unknown_owner_are_left_alone():
    values = company_values(company("1", "Acme", plan="Pro"), frozenset({"arr"}), None)
    assert "plan" not in values and "csm_user_id" not in values
    assert "csm_user_id" in company_values(company("1", "Acme"), ALL, "U1")


def test_an_archived_company_never_seen_is_skipped():
    writes, count = plan([company("1", "Gone", archived=True)])
    assert writes == [] and count.skipped == 1


def test_health_words_of_crms():
    assert [health_named(w) for w in ("Healthy", "At risk", "RED", "unclear", None)] == [
        "green",
        "yellow",
        "red",
        None,
        None,
    ]


def test_locales_from_crm_language_fields():
    assert [locale_named(x) for x in ("en_GB", "ms-my", "en", "English", "", None)] == [
        "en-GB",
        "ms-MY",
        "en",
        None,
        None,
        None,
    ]


def contact(crm_id: str, email: str | None, company_id: str | None = "1", **f: object):
    return CrmContact(crm_id=crm_id, email=email, modified_at=AT, company_id=company_id, **f)  # type: ignore[arg-type]


def person(id: int, email: str, crm_id: str | None = None, active: bool = True):
    return StoredContact(id, crm_id, email, None, None, 1, active)


def plan_people(contacts, people=(), accounts=None):
    count = SyncCount()
    known = accounts if accounts is not None else {"1": 1}
    writes = plan_contacts(
        contacts,
        by_crm_id={p.crm_id: p for p in people if p.crm_id},
        by_email={p.email: p for p in people},
        account_of=lambda crm_id: known.get(crm_id) if crm_id else None,
        count=count,
    )
    return writes, count


def test_contacts_without_email_or_known_company_are_skipped():
    writes, count = plan_people(
        [
            contact("1", None),
            contact("2", "not an email"),
            contact("3", "ana@acme.test", company_id="404"),
            contact("4", "bo@acme.test", company_id=None),
            contact("5", "Cy@Acme.test", name="Cy", locale="ms_MY"),
        ]
    )
    assert (count.seen, count.skipped, count.new) == (5, 4, 1)
    assert writes[0].email == "cy@acme.test"
    assert writes[0].fields == {
        "email": "cy@acme.test",
        "account_id": 1,
        "name": "Cy",
        "locale": "ms-MY",
    }


def test_a_contact_is_matched_by_crm_id_then_email():
    writes, count = plan_people(
        [contact("c1", "new@acme.test"), contact("c2", "old@acme.test")],
        [person(5, "ana@acme.test", crm_id="c1"), person(6, "old@acme.test")],
    )
    assert [w.contact_id for w in writes] == [5, 6]
    assert writes[0].changes["email"] == ("ana@acme.test", "new@acme.test")
    assert count.changed == 2


def test_an_archived_contact_becomes_inactive_once_and_comes_back_when_restored():
    writes, count = plan_people(
        [contact("c1", "ana@acme.test", archived=True)], [person(5, "ana@acme.test", "c1")]
    )
    assert writes[0].deactivate and count.inactive == 1
    writes, count = plan_people(
        [contact("c1", "ana@acme.test", archived=True)],
        [person(5, "ana@acme.test", "c1", active=False)],
    )
    assert writes == [] and count.inactive == 0
    writes, _ = plan_people(
        [contact("c1", "ana@acme.test")], [person(5, "ana@acme.test", "c1", active=False)]
    )
    assert writes[0].reactivate


def test_an_email_another_contact_holds_is_skipped():
    writes, count = plan_people(
        [contact("c1", "bo@acme.test"), contact("c3", "x@acme.test"), contact("c4", "x@acme.test")],
        [person(5, "ana@acme.test", "c1"), person(6, "bo@acme.test", "c2")],
    )
    assert [w.crm_id for w in writes] == ["c3"]
    assert count.skipped == 2


def test_an_incremental_pass_moves_its_cursor_with_each_page_in_order():
    later, latest = AT + timedelta(hours=1), AT + timedelta(hours=2)
    cursor = Cursor(since=AT, started=latest + timedelta(hours=1))
    assert cursor.page([AT, later]) == later
    assert cursor.page([later, latest]) == latest
    assert cursor.page([]) is None
    assert cursor.page([AT]) is None  # out of order (archived records): kept for the end
    assert cursor.page([latest]) is None
    assert cursor.end() == latest + TICK


def test_a_full_pass_moves_its_cursor_at_its_end_no_later_than_its_start():
    started = AT + timedelta(hours=1)
    cursor = Cursor(since=None, started=started)
    assert cursor.page([AT + timedelta(days=1)]) is None  # listed by id, not by date
    assert cursor.page([AT]) is None
    assert cursor.end() == started - CLOCK_MARGIN  # an edit during the pass is read again
    cursor = Cursor(since=None, started=AT + timedelta(days=2))
    cursor.page([AT])
    assert cursor.end() == AT + TICK  # just past the newest record read
    assert Cursor(since=None, started=started).end() is None  # nothing read: left alone


def test_when_the_scheduled_sync_is_due():
    hour = timedelta(hours=1)
    assert next_due(finished_at=None, failed=False, retry_soon=False, every=hour) is None
    assert next_due(finished_at=AT, failed=False, retry_soon=False, every=hour) == AT + hour
    soon = next_due(finished_at=AT, failed=True, retry_soon=True, every=hour)
    assert soon == AT + timedelta(minutes=5)
    assert next_due(finished_at=AT, failed=True, retry_soon=False, every=hour) == AT + hour


def test_dry_run_lines():
    writes, _ = plan([company("1", "Acme", arr=5.0)], [stored(7, "Acme", "acme", arr=4.0)])
    assert "Acme: arr 4 → 5" in account_lines(writes, "HubSpot")
    people, _ = plan_people([contact("c1", "ana@acme.test")])
    assert contact_lines(people, "HubSpot") == [
        "new contact ana@acme.test (from HubSpot contact c1)"
    ]
    assert shown(date(2026, 3, 1)) == "2026-03-01" and shown(None) == "(blank)"


def test_a_pass_stopped_part_way_keeps_its_cursor_only_if_its_pages_came_in_order():
    later = AT + timedelta(hours=1)
    ordered = Cursor(since=None, started=later + timedelta(days=1))
    ordered.page([AT])
    ordered.page([later])
    assert ordered.stopped() == later
    jumbled = Cursor(since=None, started=later + timedelta(days=1))
    jumbled.page([later])
    jumbled.page([AT])
    assert jumbled.stopped() is None


def test_pages_read_ahead_are_written_in_runs_of_one_object_with_each_pass_end_in_place() -> None:
    ready = [
        (CrmObject.COMPANY, ["a"]),
        (CrmObject.COMPANY, ["b"]),
        (CrmObject.COMPANY, None),
        (CrmObject.CONTACT, ["x"]),
        (CrmObject.CONTACT, ["y", "z"]),
    ]
    assert runs(ready) == [
        (CrmObject.COMPANY, [["a"], ["b"]]),
        (CrmObject.COMPANY, []),
        (CrmObject.CONTACT, [["x"], ["y", "z"]]),
    ]
    assert joined([["x"], ["y", "z"]]) == ["x", "y", "z"]


def test_pages_written_together_move_the_cursor_as_the_last_of_them_would() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    stamps = [[start + timedelta(minutes=m) for m in page] for page in ([1, 2], [3, 4], [5])]
    one_by_one = Cursor(since=start, started=start + timedelta(days=1))
    for page in stamps:
        last = one_by_one.page(page)
    together = Cursor(since=start, started=start + timedelta(days=1))
    contacts = [
        [CrmContact(f"{n}", None, stamp) for n, stamp in enumerate(page)] for page in stamps
    ]
    assert together.pages(contacts) == last == start + timedelta(minutes=5)
