"""Builders for alert tests: contacts with a past, batches of stored touches, and a fixed instant."""
import importlib
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from django.apps import apps as django_apps
from django.utils import translation

from alerts import evaluate, services
from alerts.models import Alert, Trigger, TriggerKind
from contacts.models import Contact, ContactStatus, TouchKind
from contacts.services import touch_event_record
from contacts.signals import StoredTouch

NOW = datetime(2026, 6, 15, 3, 0, tzinfo=UTC)
_serial = count(1)


@pytest.fixture(autouse=True)
def default_triggers(request):
    """The five triggers and the default dormancy rule the migrations ship (transactional tests flush them)."""
    if request.node.get_closest_marker("django_db") is not None:
        importlib.import_module("alerts.migrations.0002_default_triggers").seed(django_apps, None)
        importlib.import_module("dormancy.migrations.0002_default_rule").create_default_rule(django_apps, None)


@pytest.fixture(autouse=True)
def english(client, settings):
    """Pages, and mail to reps (written in the workspace language), in English: the ja catalogue is complete."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def days_ago(days, now=NOW):
    return now - timedelta(days=days)


def make_contact(*, last_touch_days=None, now=NOW, **fields):
    """A contact whose last counted touch was `last_touch_days` before `now` (stored without any alert)."""
    n = next(_serial)
    fields.setdefault("status", ContactStatus.LOST)
    fields.setdefault("last_name", f"山田{n}")
    contact = Contact.objects.create(email=f"a{n}@example.jp", **fields)
    if last_touch_days is not None:
        # Inside the test's transaction: touch_events_stored is never sent for this history.
        touch_event_record(contact=contact, kind=TouchKind.EMAIL_OPEN, occurred_at=days_ago(last_touch_days, now))
    contact.refresh_from_db()
    return contact


def touch(contact, *, kind=TouchKind.PAGE_VIEW, url="https://example.jp/", at=NOW, detail="", bot=False):
    """Store a touch as tracking would and return the StoredTouch the signal carries."""
    previous = contact.last_touch_at
    event, _created = touch_event_record(contact=contact, kind=kind, occurred_at=at, url=url, detail=detail,
                                         flagged_as_bot=bot)
    return StoredTouch(event_id=event.pk, contact_id=contact.pk, kind=kind, occurred_at=at, url=url, detail=detail,
                       source="tracking", flagged_as_bot=bot, previous_touch_at=previous)


def evaluate_batch(touches, *, now=NOW):
    """What the worker does for one stored batch: returns the alerts it stored."""
    intake = services.touches_intake(touches)
    if intake is None:
        return []
    return evaluate.intake_process(intake_id=intake.pk, now=now)


def trigger(kind):
    return Trigger.objects.get(kind=kind)


def alerts_for(contact, kind=None):
    alerts = Alert.objects.filter(contact=contact)
    if kind:
        alerts = alerts.filter(trigger__kind=kind)
    return list(alerts.order_by("fired_at", "id"))


__all__ = ["NOW", "TriggerKind", "alerts_for", "days_ago", "evaluate_batch", "make_contact", "touch", "trigger"]
