"""Fixtures for scoring tests: a fixed instant, and helpers to make contacts and events."""
import hashlib
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest

from contacts.models import Contact, TouchEvent, TouchKind
from scoring.models import AttributeField, RuleKind, ScoringRule

NOW = datetime(2026, 6, 15, 3, 0, tzinfo=UTC)
_serial = count()


def days_ago(days):
    return NOW - timedelta(days=days)


def make_contact(email=None, **fields):
    return Contact.objects.create(email=email or f"c{next(_serial)}@example.com", **fields)


def make_event(contact, kind=TouchKind.PAGE_VIEW, occurred_at=None, *, url="", bot=False):
    n = next(_serial)
    return TouchEvent.objects.create(
        contact=contact, kind=kind, occurred_at=occurred_at or NOW, url=url, flagged_as_bot=bot,
        fingerprint=hashlib.sha256(f"score-{n}".encode()).hexdigest(),
    )


def touch_rule(name, points, kind=TouchKind.PAGE_VIEW, url_contains=""):
    return ScoringRule.objects.create(name=name, kind=RuleKind.TOUCH, touch_kind=kind, url_contains=url_contains,
                                      points=points)


def attribute_rule(name, points, attribute, value="", min_employees=None):
    return ScoringRule.objects.create(name=name, kind=RuleKind.ATTRIBUTE, attribute=AttributeField(attribute),
                                      value=value, min_employees=min_employees, points=points)


@pytest.fixture
def now():
    return NOW


@pytest.fixture(autouse=True)
def no_starter_rules(db):
    """Tests state every rule they score with; the shipped starter rules would add points."""
    ScoringRule.objects.all().delete()
