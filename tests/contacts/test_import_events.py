"""Touch-event files: contacts must exist, re-imports add nothing, last touch follows."""
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from contacts.models import Contact, ContactTouchSummary, TouchEvent, TouchSource

from .test_import_helpers import english, run, write_csv  # noqa: F401 (english: autouse fixture)

TOKYO = ZoneInfo("Asia/Tokyo")
HEADER = ["email", "kind", "occurred_at", "url", "detail"]


@pytest.fixture
def contacts(db):
    return {
        "a": Contact.objects.create(email="a@example.com"),
        "b": Contact.objects.create(email="b@example.com"),
    }


def test_events_are_stored_with_times_in_the_workspace_zone(contacts, tmp_path):
    path = write_csv(tmp_path / "events.csv", [
        HEADER,
        ["A@example.com", "page_view", "2024-04-01 09:30", "https://example.com/pricing", ""],
        ["b@example.com", "Webinar", "2024/04/02", "", "Spring webinar"],
        ["b@example.com", "reply", "2024-04-03T10:00:00Z", "", ""],
    ])

    outcome = run("events", path)

    assert outcome.result() == {"created": 3, "updated": 0, "unchanged": 0, "skipped": 0}
    stored = set(TouchEvent.objects.values_list("contact__email", "kind", "occurred_at", "url", "detail", "source"))
    assert stored == {
        ("a@example.com", "page_view", datetime(2024, 4, 1, 9, 30, tzinfo=TOKYO), "https://example.com/pricing", "",
         TouchSource.IMPORT),
        ("b@example.com", "webinar", datetime(2024, 4, 2, tzinfo=TOKYO), "", "Spring webinar", TouchSource.IMPORT),
        ("b@example.com", "reply", datetime(2024, 4, 3, 10, tzinfo=UTC), "", "", TouchSource.IMPORT),
    }
    assert TouchEvent.objects.filter(flagged_as_bot=True).count() == 0


def test_events_for_unknown_emails_are_bad_rows(contacts, tmp_path):
    path = write_csv(tmp_path / "events.csv", [
        HEADER, ["a@example.com", "call", "2024-04-01", "", ""], ["ghost@example.com", "call", "2024-04-01", "", ""],
    ])

    outcome = run("events", path)

    assert outcome.errors == [(3, "email", "No contact with this email. Import the contacts first.")]
    assert TouchEvent.objects.count() == 0


def test_bad_kind_and_time_are_reported(contacts, tmp_path):
    path = write_csv(tmp_path / "events.csv", [
        HEADER, ["a@example.com", "tweet", "2024-04-01", "", ""], ["a@example.com", "call", "yesterday", "", ""],
    ])

    outcome = run("events", path, good_rows_only=True)

    assert outcome.errors == [
        (2, "kind", "'tweet' is not an allowed value. Allowed values: email_open, email_click, page_view, "
                    "form_submit, download, call, meeting, card_exchange, webinar, reply."),
        (3, "occurred_at", "'yesterday' is not a date and time. Use ISO 8601 (2024-04-01T09:30:00+09:00), "
                           "YYYY/MM/DD or YYYY-MM-DD HH:MM."),
    ]
    assert outcome.imported is False
    assert TouchEvent.objects.count() == 0


def test_reimport_adds_no_duplicate_events(contacts, tmp_path):
    path = write_csv(tmp_path / "events.csv", [
        HEADER,
        ["a@example.com", "email_open", "2024-04-01 09:00", "", ""],
        ["a@example.com", "email_open", "2024-04-01 09:00", "", ""],  # the same fact twice
        ["a@example.com", "email_open", "2024-04-01T00:00:00Z", "", ""],  # and once more in UTC
        ["b@example.com", "email_click", "2024-04-01 09:05", "https://example.com/x", ""],
    ])

    first = run("events", path)
    second = run("events", path)

    assert first.result() == {"created": 2, "updated": 0, "unchanged": 2, "skipped": 0}
    assert second.result() == {"created": 0, "updated": 0, "unchanged": 4, "skipped": 0}
    assert TouchEvent.objects.count() == 2


def test_last_touch_summary_follows_imported_events(contacts, tmp_path):
    a = contacts["a"]
    path = write_csv(tmp_path / "events.csv", [
        HEADER,
        ["a@example.com", "page_view", "2024-04-01 09:00", "", ""],
        ["a@example.com", "page_view", "2024-05-01 09:00", "", ""],
        ["a@example.com", "call", "2024-04-15 15:00", "", ""],
    ])

    run("events", path)

    a.refresh_from_db()
    assert (a.last_touch_at, a.last_touch_kind) == (datetime(2024, 5, 1, 9, tzinfo=TOKYO), "page_view")
    assert set(ContactTouchSummary.objects.filter(contact=a).values_list("kind", "last_at")) == {
        ("page_view", datetime(2024, 5, 1, 9, tzinfo=TOKYO)),
        ("call", datetime(2024, 4, 15, 15, tzinfo=TOKYO)),
    }
    contacts["b"].refresh_from_db()
    assert contacts["b"].last_touch_at is None


def test_rolled_back_events_leave_the_summary_untouched(contacts, tmp_path):
    path = write_csv(tmp_path / "events.csv", [
        HEADER, ["a@example.com", "call", "2024-04-01", "", ""], ["nobody@example.com", "call", "2024-04-01", "", ""],
    ])

    run("events", path)

    contacts["a"].refresh_from_db()
    assert contacts["a"].last_touch_at is None
    assert ContactTouchSummary.objects.count() == 0
