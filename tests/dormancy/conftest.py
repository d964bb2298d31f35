"""Builders for dormancy tests: contacts, touches at a wall-clock time in Tokyo, rules."""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from contacts.models import Contact, TouchKind
from contacts.services import touch_event_record
from dormancy.services import dormancy_rule_create

TOKYO = ZoneInfo("Asia/Tokyo")
UTC = ZoneInfo("UTC")
# "Today" for every date-based test, passed explicitly to the code under test.
TODAY = date(2025, 12, 1)
ALL_KINDS = list(TouchKind.values)
NO_CONDITIONS = {"match": "any", "items": []}


def days_ago(n, today=TODAY):
    return today - timedelta(days=n)


def tokyo(day, hour=12, minute=0):
    """An aware datetime at a wall-clock time in Tokyo."""
    return datetime.combine(day, time(hour, minute), tzinfo=TOKYO)


@pytest.fixture
def make_contact(db):
    counter = iter(range(1, 100_000))

    def make(*, created_on=None, **fields):
        fields.setdefault("email", f"contact{next(counter)}@example.com")
        contact = Contact.objects.create(**fields)
        if created_on is not None:
            Contact.objects.filter(pk=contact.pk).update(created_at=tokyo(created_on, 9))
            contact.refresh_from_db()
        return contact

    return make


@pytest.fixture
def touch(db):
    """Record a touch through the contacts service, which keeps the summaries current."""

    def record(contact, at, kind=TouchKind.EMAIL_CLICK, *, bot=False):
        event, _ = touch_event_record(contact=contact, kind=kind, occurred_at=at, flagged_as_bot=bot)
        contact.refresh_from_db()
        return event

    return record


@pytest.fixture
def make_rule(db):
    counter = iter(range(1, 1000))

    def make(**fields):
        number = next(counter)
        fields.setdefault("name", f"Rule {number}")
        fields.setdefault("slug", f"rule-{number}")
        fields.setdefault("inactivity_days", 180)
        fields.setdefault("touch_kinds", ALL_KINDS)
        fields.setdefault("conditions", NO_CONDITIONS)
        return dormancy_rule_create(user=None, **fields)

    return make


@pytest.fixture(autouse=True)
def english():
    """Notes and messages are asserted in the English source text."""
    from django.utils import translation

    with translation.override("en"):
        yield
