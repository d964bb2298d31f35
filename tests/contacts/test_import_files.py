"""Whole-file problems: each gets a clear message and nothing is written."""
import pytest

from contacts.importing.errors import FileRejected
from contacts.models import Contact, TouchEvent

from .test_import_helpers import english, error_lines, run, write_csv  # noqa: F401 (english: autouse fixture)


def refused(kind, path):
    with pytest.raises(FileRejected) as caught:
        run(kind, path)
    return caught.value.message


@pytest.mark.parametrize(
    ("kind", "header", "column"),
    [
        ("contacts", ["first_name", "last_name"], "email"),
        ("events", ["email", "occurred_at"], "kind"),
        ("contracts", ["email", "contract_id", "plan"], "expires_at"),
    ],
)
def test_missing_required_column_is_named_and_nothing_imported(db, tmp_path, kind, header, column):
    path = write_csv(tmp_path / "f.csv", [header, ["a@example.com"] + ["x"] * (len(header) - 1)])

    assert refused(kind, path) == f"Required column '{column}' is missing."
    assert Contact.objects.count() == 0


def test_empty_file(db, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert refused("contacts", path) == "The file is empty."


def test_file_of_blank_lines_is_empty(db, tmp_path):
    path = tmp_path / "blank.csv"
    path.write_bytes(b"\r\n\r\n  \r\n")
    assert refused("contacts", path) == "The file is empty."


def test_header_only(db, tmp_path):
    path = write_csv(tmp_path / "header.csv", [["email", "first_name"]])
    assert refused("contacts", path) == "The file has a header row but no data rows."


@pytest.mark.parametrize(("separator", "named"), [(";", "';'"), ("\t", "tabs")])
def test_wrong_delimiter(db, tmp_path, separator, named):
    path = tmp_path / "semi.csv"
    path.write_text(separator.join(["email", "first_name"]) + "\n" + separator.join(["a@example.com", "A"]) + "\n")

    assert refused("contacts", path) == (
        f"This file seems to be separated by {named}, not commas. Save it as a comma-separated CSV file and upload "
        "again."
    )
    assert Contact.objects.count() == 0


def test_column_named_twice_after_normalising(db, tmp_path):
    path = write_csv(tmp_path / "dup.csv", [["Email", " email "], ["a@example.com", "b@example.com"]])
    assert refused("contacts", path) == "The column 'email' appears more than once in the header."


def test_unclosed_quote(db, tmp_path):
    path = tmp_path / "quote.csv"
    path.write_text('email,first_name\na@example.com,"Taro\nb@example.com,Jiro\n')

    assert refused("contacts", path) == (
        "A double quote (\") opened a value that is never closed. Check the quotes in the file."
    )
    assert Contact.objects.count() == 0


def test_headers_are_trimmed_lowercased_and_full_width_folded(db, tmp_path):
    path = write_csv(tmp_path / "h.csv", [
        [" EMAIL ", "Ｆｉｒｓｔ_Ｎａｍｅ", "Last_Name"], ["a@example.com", "Taro", "Yamada"],
    ])

    outcome = run("contacts", path)

    assert outcome.mapping == [("email", "email"), ("first_name", "first_name"), ("last_name", "last_name")]
    contact = Contact.objects.get()
    assert (contact.first_name, contact.last_name) == ("Taro", "Yamada")


def test_blank_lines_are_skipped_and_line_numbers_stay_true(db, tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("email\r\na@example.com\r\n\r\nnot-an-email\r\n,\r\nb@example.com\r\n")

    outcome = run("contacts", path, good_rows_only=True)

    assert outcome.total_rows == 3
    assert error_lines(outcome) == [(4, "email")]
    assert sorted(Contact.objects.values_list("email", flat=True)) == ["a@example.com", "b@example.com"]


def test_row_with_extra_cells_is_a_bad_row_not_a_broken_file(db, tmp_path):
    path = tmp_path / "extra.csv"
    path.write_text("email,company\na@example.com,Acme\nb@example.com,Foo, Inc.\nc@example.com,Bar,,\n")

    outcome = run("contacts", path, good_rows_only=True)

    assert outcome.errors == [(3, "", "This row has 3 cells but the header has 2 columns.")]
    assert sorted(Contact.objects.values_list("email", flat=True)) == ["a@example.com", "c@example.com"]


def test_row_with_far_too_many_cells_rejects_the_file(db, tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("email,kind,occurred_at\na@example.com,call,2024-04-01\n" + ",".join(["x"] * 30) + "\n")

    assert refused("events", path) == (
        "Line 3 has 30 cells but the header has 3 columns. Check for commas inside values that are not enclosed "
        "in double quotes."
    )
    assert TouchEvent.objects.count() == 0


def test_first_row_far_too_wide_rejects_the_file(db, tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("email,kind,occurred_at\n" + ",".join(["x"] * 30) + "\n")

    assert refused("events", path) == (
        "Line 2 has more than 19 cells but the header has 3 columns. Check for commas inside values that are not "
        "enclosed in double quotes."
    )
