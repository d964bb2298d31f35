"""End to end with a real Celery worker: the doorbell drains the buffer into the database within seconds."""
import time

import pytest
from django.utils import timezone

from contacts.models import Contact, TouchEvent
from tracking import pipeline
from tracking.records import touch_record

from .worker import drain_worker

pytestmark = [pytest.mark.worker, pytest.mark.slow]


@pytest.mark.django_db(transaction=True)
def test_buffered_events_are_in_the_database_within_two_seconds(settings):
    contact = Contact.objects.create(email="worker@example.com")
    with drain_worker(settings):
        start = timezone.now().replace(microsecond=0)
        sent = time.monotonic()
        for n in range(50):
            pipeline.event_accept(touch_record(contact_id=contact.pk, kind="email_click", url=f"https://x.example/{n}",
                                               occurred_at=start))
        while TouchEvent.objects.count() < 50 and time.monotonic() - sent < 10:
            time.sleep(0.05)
        elapsed = time.monotonic() - sent
    assert TouchEvent.objects.count() == 50
    assert elapsed < 5.0  # the bench measures the 2 s p99; a shared CI machine gets some slack here
    assert Contact.objects.get(pk=contact.pk).last_touch_kind == "email_click"
