"""Quiet hours, weekends and Japanese holidays; the legal basis for marketing mail."""
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from campaigns.models import SendingSettings
from campaigns.policy import has_legal_basis, is_quiet, legal_basis_q, next_allowed_slot
from contacts.models import Contact

TOKYO = ZoneInfo("Asia/Tokyo")


def at(*args):
    return datetime(*args, tzinfo=TOKYO)


def defaults(**changes):
    return SendingSettings(**changes)  # unsaved: the defaults are 20:00–08:00, weekends and holidays quiet


@pytest.mark.parametrize(("moment", "expected"), [
    (at(2026, 6, 2, 10, 0), at(2026, 6, 2, 10, 0)),   # Tuesday morning: now
    (at(2026, 6, 2, 7, 59), at(2026, 6, 2, 8, 0)),    # before 08:00: at 08:00
    (at(2026, 6, 2, 20, 0), at(2026, 6, 3, 8, 0)),    # 20:00 sharp is quiet: next morning
    (at(2026, 6, 2, 23, 30), at(2026, 6, 3, 8, 0)),
    (at(2026, 6, 5, 21, 0), at(2026, 6, 8, 8, 0)),    # Friday night: Monday 08:00
    (at(2026, 6, 6, 12, 0), at(2026, 6, 8, 8, 0)),    # Saturday noon
    (at(2025, 12, 31, 21, 0), at(2026, 1, 2, 8, 0)),  # New Year's Day is a holiday; 2 Jan is a Friday
    (at(2026, 5, 1, 20, 30), at(2026, 5, 7, 8, 0)),   # Golden Week: 2–3 weekend, 4–6 holidays (incl. 振替休日)
    (at(2026, 5, 4, 9, 0), at(2026, 5, 7, 8, 0)),     # みどりの日
])
def test_next_allowed_slot_skips_quiet_hours_weekends_and_holidays(moment, expected):
    assert next_allowed_slot(moment, defaults()) == expected


def test_holidays_and_weekends_can_be_allowed():
    settings = defaults(quiet_weekends=False, quiet_holidays=False)
    assert next_allowed_slot(at(2026, 1, 1, 9, 0), settings) == at(2026, 1, 1, 9, 0)
    assert next_allowed_slot(at(2026, 6, 6, 21, 0), settings) == at(2026, 6, 7, 8, 0)


def test_equal_start_and_end_means_no_quiet_hours():
    settings = defaults(quiet_start=time(0, 0), quiet_end=time(0, 0), quiet_weekends=False, quiet_holidays=False)
    assert not is_quiet(at(2026, 6, 6, 3, 0), settings)


def test_a_daytime_quiet_window_that_does_not_wrap():
    settings = defaults(quiet_start=time(12, 0), quiet_end=time(13, 0), quiet_weekends=False)
    assert next_allowed_slot(at(2026, 6, 2, 12, 30), settings) == at(2026, 6, 2, 13, 0)
    assert next_allowed_slot(at(2026, 6, 2, 21, 0), settings) == at(2026, 6, 2, 21, 0)


def test_slot_is_computed_in_the_workspace_time_zone():
    utc_evening = datetime(2026, 6, 2, 12, 0, tzinfo=ZoneInfo("UTC"))  # 21:00 in Tokyo
    assert next_allowed_slot(utc_evening, defaults()) == at(2026, 6, 3, 8, 0)


@pytest.mark.parametrize(("consent", "source", "expected"), [
    ("opt_in", "web form", True),
    ("none", "名刺交換 2025-04", True),
    ("none", "Business card, Expo 2025", True),
    ("none", "", False),
    ("none", "purchased list", False),
    ("opted_out", "名刺交換 2025-04", False),
])
def test_legal_basis_is_opt_in_or_a_business_card(db, consent, source, expected):
    contact = Contact.objects.create(email=f"{consent}{len(source)}@example.com", consent=consent,
                                     consent_source=source)
    assert has_legal_basis(contact) is expected
    assert Contact.objects.filter(legal_basis_q(), pk=contact.pk).exists() is expected
