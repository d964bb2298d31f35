"""Contacts files: every column, every kind of bad row, upserts and consent."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User

from contacts.models import Company, ConsentState, Contact, Tag

from .test_import_helpers import english, error_lines, run, write_csv  # noqa: F401 (english: autouse fixture)

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2025, 4, 1, 10, 0, tzinfo=TOKYO)
FULL_HEADER = [
    "email", "first_name", "last_name", "first_name_kana", "last_name_kana", "company", "title", "industry",
    "employees", "phone", "owner", "status", "lost_reason", "deal_stage", "deal_stage_changed_at", "acquired_at",
    "consent", "consent_at", "consent_source", "tags", "is_decision_maker", "Budget Year",
]


@pytest.fixture
def csv_file(tmp_path):
    def make(rows, name="contacts.csv", encoding="utf-8"):
        return write_csv(tmp_path / name, rows, encoding=encoding)

    return make


def test_every_column_lands_where_it_belongs(rep, csv_file):
    path = csv_file([FULL_HEADER, [
        "Taro@Example.co.jp", "太郎", "山田", "タロウ", "ヤマダ", "株式会社テスト", "部長", "製造", "1,200",
        "03-1234-5678", "REP1@example.com", "lost", "competitor", "提案", "2024/10/01", "2023-05-20",
        "opt_in", "2024-01-15 09:30", "展示会2024", "VIP; 展示会 ;VIP", "はい", "2026",
    ]])

    outcome = run("contacts", path, now=NOW)

    assert outcome.result() == {
        "created": 1, "updated": 0, "unchanged": 0, "skipped": 0, "companies_created": 1,
    }
    contact = Contact.objects.get()
    assert contact.email == "taro@example.co.jp"
    assert (contact.first_name, contact.last_name) == ("太郎", "山田")
    assert (contact.first_name_kana, contact.last_name_kana) == ("タロウ", "ヤマダ")
    assert (contact.title, contact.phone) == ("部長", "03-1234-5678")
    assert contact.owner == rep
    assert (contact.status, contact.lost_reason, contact.deal_stage) == ("lost", "competitor", "提案")
    assert contact.deal_stage_changed_at == date(2024, 10, 1)
    assert contact.acquired_at == date(2023, 5, 20)
    assert contact.consent == ConsentState.OPT_IN
    assert contact.consent_at == datetime(2024, 1, 15, 9, 30, tzinfo=TOKYO)
    assert contact.consent_source == "展示会2024"
    assert sorted(contact.tags.values_list("name", flat=True)) == ["VIP", "展示会"]
    assert contact.is_decision_maker is True
    assert contact.attributes == {"budget year": "2026"}
    company = Company.objects.get()
    assert (company.name, company.industry, company.employee_count) == ("株式会社テスト", "製造", 1200)


def test_existing_company_is_reused_and_its_facts_updated(db, csv_file):
    company = Company.objects.create(name="Acme", industry="IT")
    path = csv_file([["email", "company", "industry", "employees"], ["a@example.com", "Acme", "Retail", "50"],
                     ["b@example.com", "Acme", "", ""]])

    outcome = run("contacts", path)

    assert outcome.result()["created"] == 2
    assert "companies_created" not in outcome.result()
    company.refresh_from_db()
    assert (company.industry, company.employee_count) == ("Retail", 50)
    assert set(Contact.objects.values_list("company_id", flat=True)) == {company.pk}


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("email", "taro@", "'taro@' is not a valid email address."),
        ("status", "dormant", "'dormant' is not an allowed value. Allowed values: lead, opportunity, customer, "
                              "former_customer, lost."),
        ("lost_reason", "price", "'price' is not an allowed value. Allowed values: pending, competitor, forgotten, "
                                 "other."),
        ("consent", "yes", "'yes' is not an allowed value. Allowed values: opt_in, none, opted_out."),
        ("acquired_at", "01/04/2024", "'01/04/2024' is not a date. Use YYYY-MM-DD or YYYY/MM/DD."),
        ("deal_stage_changed_at", "2024-13-01", "'2024-13-01' is not a date. Use YYYY-MM-DD or YYYY/MM/DD."),
        ("employees", "about 50", "'about 50' is not a whole number."),
        ("owner", "nobody@example.com", "No active user has the email 'nobody@example.com'."),
        ("is_decision_maker", "maybe", "'maybe' is not yes or no. Use true/false, 1/0, yes/no or はい/いいえ."),
        ("first_name", "x" * 101, "This value is 101 characters long; at most 100 are allowed."),
    ],
)
def test_bad_cell_is_reported_with_line_column_and_reason(db, csv_file, column, value, message):
    header = ["email", "company", column] if column != "email" else ["email", "company"]
    good = ["ok@example.com", "Acme", ""] if column != "email" else ["ok@example.com", "Acme"]
    bad = ["bad@example.com", "Acme", value] if column != "email" else [value, "Acme"]
    path = csv_file([header, good, bad])

    outcome = run("contacts", path)

    assert outcome.errors == [(3, column, message)]
    assert (outcome.total_rows, outcome.bad_rows, outcome.imported) == (2, 1, False)
    assert Contact.objects.count() == 0
    assert Company.objects.count() == 0


def test_empty_email_cell_is_reported(db, csv_file):
    outcome = run("contacts", csv_file([["email", "first_name"], ["", "Taro"]]))
    assert outcome.errors == [(2, "email", "This column is required and can't be empty.")]


def test_one_row_can_have_several_problems(db, csv_file):
    outcome = run("contacts", csv_file([["email", "status", "consent"], ["x", "y", "z"]]))
    assert error_lines(outcome) == [(2, "email"), (2, "status"), (2, "consent")]
    assert outcome.bad_rows == 1


def test_same_email_twice_in_a_file_is_reported_and_the_first_wins_with_good_rows_only(db, csv_file):
    path = csv_file([["email", "first_name"], ["a@example.com", "First"], ["b@example.com", "B"],
                     ["Ａ@example.com", "Second"]])

    outcome = run("contacts", path, good_rows_only=True)

    assert outcome.errors == [(4, "email", "This row repeats line 2 of this file (same email).")]
    assert Contact.objects.get(email="a@example.com").first_name == "First"
    assert outcome.result()["skipped"] == 1


def test_industry_without_company_is_reported(db, csv_file):
    outcome = run("contacts", csv_file([["email", "company", "industry"], ["a@example.com", "", "IT"]]))
    assert outcome.errors == [(2, "industry", "industry describes the company; fill in the company column too.")]


def test_conflicting_company_facts_in_one_file_are_reported(db, csv_file):
    path = csv_file([
        ["email", "company", "industry"], ["a@example.com", "Acme", "IT"], ["b@example.com", "Acme", "Food"],
    ])
    outcome = run("contacts", path)
    assert outcome.errors == [(3, "industry", "Line 2 gives Acme a different industry (IT).")]


def test_consent_evidence_without_consent_is_reported(db, csv_file):
    path = csv_file([["email", "consent", "consent_at"], ["a@example.com", "", "2024-01-01"]])
    outcome = run("contacts", path)
    assert outcome.errors == [
        (2, "consent_at", "consent_at is evidence for a consent value; fill in the consent column too.")
    ]


def test_file_with_a_bad_row_imports_nothing_by_default(db, csv_file):
    path = csv_file([["email", "status"], ["a@example.com", "lead"], ["b@example.com", "nope"], ["c@example.com", ""]])

    outcome = run("contacts", path)

    assert (outcome.imported, outcome.bad_rows, outcome.good_rows) == (False, 1, 2)
    assert Contact.objects.count() == 0


def test_good_rows_only_imports_the_rest_and_counts_the_skipped(db, csv_file):
    path = csv_file([["email", "status"], ["a@example.com", "lead"], ["b@example.com", "nope"], ["c@example.com", ""]])

    outcome = run("contacts", path, good_rows_only=True)

    assert outcome.result() == {"created": 2, "updated": 0, "unchanged": 0, "skipped": 1}
    assert sorted(Contact.objects.values_list("email", flat=True)) == ["a@example.com", "c@example.com"]


def test_reimporting_the_same_file_changes_nothing(rep, csv_file):
    rows = [FULL_HEADER]
    for number in range(30):
        rows.append([
            f"user{number}@example.com", "名", "姓", "", "", f"会社{number % 4}", "", "IT", "10", "",
            "rep1@example.com", "customer", "", "", "", "2024-01-01", "opt_in" if number % 2 else "", "", "",
            "a;b", "no", str(number),
        ])
    path = csv_file(rows)
    first = run("contacts", path, now=NOW)
    snapshot = list(Contact.objects.order_by("email").values())

    second = run("contacts", path, now=datetime(2025, 5, 1, tzinfo=TOKYO))

    assert first.result() == {"created": 30, "updated": 0, "unchanged": 0, "skipped": 0, "companies_created": 4}
    assert second.result() == {"created": 0, "updated": 0, "unchanged": 30, "skipped": 0}
    assert list(Contact.objects.order_by("email").values()) == snapshot
    assert Company.objects.count() == 4
    assert Tag.objects.count() == 2
    assert Contact.tags.through.objects.count() == 60


def test_empty_cells_leave_stored_values_unchanged(db, csv_file):
    Contact.objects.create(email="a@example.com", first_name="Taro", last_name="Yamada", phone="03", status="customer")
    path = csv_file([["email", "first_name", "last_name", "phone", "status"], ["a@example.com", "", "山田", "", ""]])

    outcome = run("contacts", path)

    assert outcome.result() == {"created": 0, "updated": 1, "unchanged": 0, "skipped": 0}
    contact = Contact.objects.get()
    assert (contact.first_name, contact.last_name, contact.phone, contact.status) == ("Taro", "山田", "03", "customer")


def test_custom_attributes_merge_with_stored_ones(db, csv_file):
    Contact.objects.create(email="a@example.com", attributes={"region": "Kanto", "plan": "basic"})
    path = csv_file([["email", "Region", "Source Event", "plan"], ["a@example.com", "Kansai", "Expo", ""]])

    outcome = run("contacts", path)

    assert outcome.mapping == [
        ("email", "email"), ("region", "custom attribute"), ("source event", "custom attribute"),
        ("plan", "custom attribute"),
    ]
    assert Contact.objects.get().attributes == {"region": "Kansai", "plan": "basic", "source event": "Expo"}
    assert outcome.result()["updated"] == 1


def test_tags_are_added_never_removed(db, csv_file):
    contact = Contact.objects.create(email="a@example.com")
    contact.tags.add(Tag.objects.create(name="old"))
    path = csv_file([["email", "tags"], ["a@example.com", "new;old"], ["b@example.com", "new"]])

    outcome = run("contacts", path)

    assert outcome.result() == {"created": 1, "updated": 1, "unchanged": 0, "skipped": 0}
    assert sorted(contact.tags.values_list("name", flat=True)) == ["new", "old"]
    assert list(Contact.objects.get(email="b@example.com").tags.values_list("name", flat=True)) == ["new"]
    assert Tag.objects.count() == 2


def test_owner_is_matched_by_email_ignoring_case_and_width(rep, other_rep, csv_file):
    path = csv_file([["email", "owner"], ["a@example.com", "ＲＥＰ2@Example.com"]])
    run("contacts", path)
    assert Contact.objects.get().owner == other_rep


def test_owner_shared_by_two_users_is_ambiguous(rep, csv_file):
    User.objects.create_user(username="twin", email="REP1@example.com")
    outcome = run("contacts", csv_file([["email", "owner"], ["a@example.com", "rep1@example.com"]]))
    assert outcome.errors == [(2, "owner", "Several users have the email 'rep1@example.com'.")]


@pytest.mark.parametrize("wanted", ["opt_in", "none"])
def test_opted_out_contact_stays_opted_out(db, csv_file, wanted):
    opted_out_at = datetime(2024, 2, 1, 12, 0, tzinfo=TOKYO)
    Contact.objects.create(
        email="a@example.com", consent=ConsentState.OPTED_OUT, consent_at=opted_out_at,
        consent_source="unsubscribe link",
    )
    path = csv_file([["email", "consent", "consent_at", "consent_source", "first_name"],
                     ["a@example.com", wanted, "2025-01-01", "old CRM", "Taro"]])

    outcome = run("contacts", path, now=NOW)

    contact = Contact.objects.get()
    assert (contact.consent, contact.consent_at, contact.consent_source) == (
        ConsentState.OPTED_OUT, opted_out_at, "unsubscribe link")
    assert contact.first_name == "Taro"
    assert outcome.result() == {"created": 0, "updated": 1, "unchanged": 0, "skipped": 0, "consent_kept": 1}


def test_opt_in_is_not_erased_by_a_file_saying_none(db, csv_file):
    Contact.objects.create(email="a@example.com", consent=ConsentState.OPT_IN, consent_source="web form")
    run("contacts", csv_file([["email", "consent"], ["a@example.com", "none"]]))
    assert Contact.objects.get().consent == ConsentState.OPT_IN


def test_opt_in_without_a_date_records_the_import_as_evidence(db, csv_file):
    Contact.objects.create(email="old@example.com")
    path = csv_file([["email", "consent"], ["new@example.com", "opt_in"], ["old@example.com", "Opt_In"]],
                    name="expo-2025.csv")

    run("contacts", path, now=NOW)

    for contact in Contact.objects.all():
        assert (contact.consent, contact.consent_at, contact.consent_source) == (
            ConsentState.OPT_IN, NOW, "csv import: expo-2025.csv")


def test_opt_out_in_a_file_is_applied_with_its_evidence(db, csv_file):
    Contact.objects.create(email="a@example.com", consent=ConsentState.OPT_IN)
    path = csv_file([["email", "consent", "consent_source"], ["a@example.com", "opted_out", "phone call"]])

    run("contacts", path, now=NOW)

    contact = Contact.objects.get()
    assert (contact.consent, contact.consent_at, contact.consent_source) == (ConsentState.OPTED_OUT, NOW, "phone call")


def test_new_contact_without_consent_has_none_and_no_evidence(db, csv_file):
    run("contacts", csv_file([["email", "consent"], ["a@example.com", "none"], ["b@example.com", ""]]), now=NOW)
    assert set(Contact.objects.values_list("consent", "consent_at", "consent_source")) == {("none", None, "")}


@pytest.mark.parametrize(("cell", "expected"), [("true", True), ("1", True), ("YES", True), ("はい", True),
                                               ("false", False), ("0", False), ("no", False), ("いいえ", False)])
def test_decision_maker_words(db, csv_file, cell, expected):
    run("contacts", csv_file([["email", "is_decision_maker"], ["a@example.com", cell]]))
    assert Contact.objects.get().is_decision_maker is expected


def test_repeating_the_current_consent_does_not_rewrite_its_evidence(db, csv_file):
    recorded = datetime(2023, 6, 1, 9, 0, tzinfo=TOKYO)
    for email, state in (("in@example.com", ConsentState.OPT_IN), ("out@example.com", ConsentState.OPTED_OUT)):
        Contact.objects.create(email=email, consent=state, consent_at=recorded, consent_source="web form")
    path = csv_file([["email", "consent", "consent_at", "consent_source"],
                     ["in@example.com", "opt_in", "2025-01-01", "expo"],
                     ["out@example.com", "opted_out", "2025-01-01", "expo"]])

    outcome = run("contacts", path, now=NOW)

    assert outcome.result() == {"created": 0, "updated": 0, "unchanged": 2, "skipped": 0}
    assert set(Contact.objects.values_list("consent_at", "consent_source")) == {(recorded, "web form")}
