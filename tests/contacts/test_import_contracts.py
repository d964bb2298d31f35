"""Contract files: upsert by (contact, contract_id)."""
from datetime import date
from decimal import Decimal

import pytest

from contacts.models import Contact, Contract

from .test_import_helpers import english, run, write_csv  # noqa: F401 (english: autouse fixture)

HEADER = ["email", "contract_id", "expires_at", "plan", "starts_at", "amount", "status"]


@pytest.fixture
def contact(db):
    return Contact.objects.create(email="a@example.com")


def test_contracts_are_created_then_updated_then_unchanged(contact, tmp_path):
    first = write_csv(tmp_path / "c1.csv", [
        HEADER,
        ["a@example.com", "C-1", "2025/03/31", "Standard", "2024-04-01", "120,000", "active"],
        ["a@example.com", "C-2", "2025-06-30", "", "", "", ""],
    ])
    second = write_csv(tmp_path / "c2.csv", [
        HEADER,
        ["a@example.com", "C-1", "2026-03-31", "", "", "", "Renewed"],
        ["a@example.com", "C-2", "2025-06-30", "", "", "", ""],
    ])

    created = run("contracts", first)
    updated = run("contracts", second)
    again = run("contracts", second)

    assert created.result() == {"created": 2, "updated": 0, "unchanged": 0, "skipped": 0}
    assert updated.result() == {"created": 0, "updated": 1, "unchanged": 1, "skipped": 0}
    assert again.result() == {"created": 0, "updated": 0, "unchanged": 2, "skipped": 0}
    assert list(Contract.objects.order_by("external_id").values_list(
        "external_id", "plan", "starts_at", "expires_at", "amount", "status")) == [
        ("C-1", "Standard", date(2024, 4, 1), date(2026, 3, 31), Decimal("120000.00"), "renewed"),
        ("C-2", "", None, date(2025, 6, 30), None, "active"),
    ]


def test_same_contract_id_for_different_contacts_is_two_contracts(contact, tmp_path):
    Contact.objects.create(email="b@example.com")
    path = write_csv(tmp_path / "c.csv", [
        HEADER,
        ["a@example.com", "X", "2025-01-01", "", "", "", ""],
        ["b@example.com", "X", "2025-01-01", "", "", "", ""],
    ])
    assert run("contracts", path).result()["created"] == 2


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("amount", "12万", "'12万' is not a number."),
        ("amount", "10.005", "'10.005' must have at most 12 digits before and 2 after the decimal point."),
        ("status", "expired", "'expired' is not an allowed value. Allowed values: active, renewed, lapsed, cancelled."),
        ("expires_at", "next year", "'next year' is not a date. Use YYYY-MM-DD or YYYY/MM/DD."),
        ("starts_at", "2024-02-30", "'2024-02-30' is not a date. Use YYYY-MM-DD or YYYY/MM/DD."),
        ("email", "ghost@example.com", "No contact with this email. Import the contacts first."),
    ],
)
def test_bad_contract_rows_are_reported(contact, tmp_path, column, value, message):
    row = dict(zip(HEADER, ["a@example.com", "C-1", "2025-01-01", "", "", "", ""], strict=True))
    row[column] = value
    path = write_csv(tmp_path / "c.csv", [HEADER, list(row.values())])

    outcome = run("contracts", path)

    assert outcome.errors == [(2, column, message)]
    assert Contract.objects.count() == 0


def test_same_contract_twice_in_a_file_is_reported(contact, tmp_path):
    path = write_csv(tmp_path / "c.csv", [
        HEADER,
        ["a@example.com", "C-1", "2025-01-01", "", "", "", ""],
        ["a@example.com", "C-1", "2026-01-01", "", "", "", ""],
    ])

    outcome = run("contracts", path, good_rows_only=True)

    assert outcome.errors == [(3, "contract_id", "This row repeats line 2 of this file (same email and contract_id).")]
    assert Contract.objects.get().expires_at == date(2025, 1, 1)
