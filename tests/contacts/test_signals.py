"""`touch_events_stored` carries each new touch, after commit, with the contact's last touch before it."""
from datetime import UTC, datetime, timedelta

import pytest

from contacts.models import Contact, TouchKind
from contacts.services import touch_event_record
from contacts.signals import StoredTouch, contact_facts_changed, touch_events_stored

T0 = datetime(2026, 5, 11, 1, 0, tzinfo=UTC)


@pytest.fixture
def heard():
    seen = []

    def touches(sender, events, **kwargs):
        seen.append(("touches", events))

    def facts(sender, contact_ids, **kwargs):
        seen.append(("facts", contact_ids))

    touch_events_stored.connect(touches, dispatch_uid="test-touches")
    contact_facts_changed.connect(facts, dispatch_uid="test-facts")
    yield seen
    touch_events_stored.disconnect(dispatch_uid="test-touches")
    contact_facts_changed.disconnect(dispatch_uid="test-facts")


@pytest.mark.django_db
def test_a_recorded_touch_is_announced_after_commit_with_the_previous_touch(heard,
                                                                          django_capture_on_commit_callbacks):
    contact = Contact.objects.create(email="a@x.jp", last_name="A")
    with django_capture_on_commit_callbacks(execute=True):
        first, _ = touch_event_record(contact=contact, kind=TouchKind.MEETING, occurred_at=T0)
    assert not heard[0][1][0].previous_touch_at  # nothing before
    heard.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        event, created = touch_event_record(contact=contact, kind=TouchKind.PAGE_VIEW, url="https://x.jp/pricing",
                                            occurred_at=T0 + timedelta(days=200))
    assert created and heard == []  # nothing before the commit
    for callback in callbacks:
        callback()
    kinds = [kind for kind, _payload in heard]
    assert kinds == ["touches", "facts"]  # the touches first, then the facts
    (touch,) = heard[0][1]
    assert touch == StoredTouch(event_id=event.pk, contact_id=contact.pk, kind=TouchKind.PAGE_VIEW,
                                occurred_at=T0 + timedelta(days=200), url="https://x.jp/pricing", detail="",
                                source="manual", flagged_as_bot=False, previous_touch_at=T0)


@pytest.mark.django_db
def test_recording_the_same_fact_twice_announces_nothing(heard, django_capture_on_commit_callbacks):
    contact = Contact.objects.create(email="a@x.jp", last_name="A")
    touch_event_record(contact=contact, kind=TouchKind.CALL, occurred_at=T0)
    with django_capture_on_commit_callbacks(execute=True):
        _event, created = touch_event_record(contact=contact, kind=TouchKind.CALL, occurred_at=T0)
    assert not created and heard == []
