"""`manage.py import_csv`: report, exit status, and a 100,000-row file."""
import io
import time

import pytest
from django.core.management import CommandError, call_command

from contacts.models import Contact, ContactTouchSummary, TouchEvent

from .test_import_helpers import english, write_csv  # noqa: F401 (english: autouse fixture)


def import_csv(*args):
    out = io.StringIO()
    call_command("import_csv", *args, stdout=out)
    return out.getvalue()


def test_clean_file_prints_encoding_and_counts(db, tmp_path):
    path = write_csv(tmp_path / "c.csv", [["email", "company"], ["a@example.com", "株式会社テスト"]], encoding="cp932")

    output = import_csv("contacts", str(path))

    assert output.splitlines() == [
        "Encoding: Shift_JIS (CP932)",
        "Rows: 1, bad rows: 0",
        "Created: 1, updated: 0, unchanged: 0, bad rows skipped: 0",
        "companies created: 1",
    ]
    assert Contact.objects.count() == 1


def test_bad_rows_fail_the_command_and_import_nothing(db, tmp_path):
    path = write_csv(tmp_path / "c.csv", [["email", "status"], ["a@example.com", ""], ["oops", "lead"]])
    out = io.StringIO()

    with pytest.raises(CommandError) as caught:
        call_command("import_csv", "contacts", str(path), stdout=out)

    assert out.getvalue().splitlines() == [
        "Encoding: UTF-8",
        "Rows: 2, bad rows: 1",
        "  line 3, column 'email': 'oops' is not a valid email address.",
    ]
    assert str(caught.value) == (
        "Nothing was imported: 1 rows have problems. Fix them, or run again with --good-rows-only to import the other "
        "1 rows."
    )
    assert Contact.objects.count() == 0


def test_good_rows_only_flag(db, tmp_path):
    path = write_csv(tmp_path / "c.csv", [["email", "status"], ["a@example.com", ""], ["oops", "lead"]])

    output = import_csv("contacts", str(path), "--good-rows-only")

    assert output.splitlines()[-1] == "Created: 1, updated: 0, unchanged: 0, bad rows skipped: 1"
    assert list(Contact.objects.values_list("email", flat=True)) == ["a@example.com"]


def test_error_listing_is_capped(db, tmp_path):
    path = write_csv(tmp_path / "c.csv", [["email"]] + [[f"bad{n}"] for n in range(5)])
    out = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_csv", "contacts", str(path), "--max-errors", "2", stdout=out)

    assert out.getvalue().splitlines()[2:] == [
        "  line 2, column 'email': 'bad0' is not a valid email address.",
        "  line 3, column 'email': 'bad1' is not a valid email address.",
        "  … and 3 more problems",
    ]


def test_undecodable_file_fails_the_command(db, tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes(b"email\n\x82\x20@example.com\n")

    with pytest.raises(CommandError) as caught:
        import_csv("contacts", str(path))

    assert str(caught.value).startswith("This file is neither UTF-8 nor Shift_JIS (CP932): the byte 0x82 at position 6")
    assert Contact.objects.count() == 0


def test_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        import_csv("events", str(tmp_path / "nope.csv"))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_hundred_thousand_events_stream_through_the_command(tmp_path):
    contacts = 2_000
    Contact.objects.bulk_create([Contact(email=f"user{n}@example.com") for n in range(contacts)], batch_size=2000)
    path = tmp_path / "events.csv"
    kinds = ["email_open", "email_click", "page_view", "download", "webinar"]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("email,kind,occurred_at,url\n")
        for n in range(100_000):
            minute = n % 1440
            handle.write(
                f"user{n % contacts}@example.com,{kinds[(n // contacts) % 5]},2024-{1 + n % 12:02d}-{1 + n % 28:02d} "
                f"{minute // 60:02d}:{minute % 60:02d},https://example.com/p/{n}\n"
            )

    started = time.monotonic()
    output = import_csv("events", str(path))
    elapsed = time.monotonic() - started

    assert "Created: 100000, updated: 0, unchanged: 0, bad rows skipped: 0" in output
    assert TouchEvent.objects.count() == 100_000
    assert ContactTouchSummary.objects.count() == contacts * len(kinds)
    assert Contact.objects.filter(last_touch_at__isnull=True).count() == 0
    assert elapsed < 120, f"100k events took {elapsed:.1f}s"
