"""The whole path through a real Celery worker: a touch stored here, the alert stored by the worker."""
import time

import pytest

from alerts.models import Alert, AlertIntake, TriggerKind
from config.celery import app as celery_app
from contacts.models import TouchKind
from contacts.services import touch_event_record
from tests.worker import running_worker

from .conftest import make_contact


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_stored_touch_becomes_an_alert_in_the_worker_within_seconds():
    from django.utils import timezone

    contact = make_contact(last_touch_days=300, now=timezone.now())
    with running_worker() as queue:
        previous = celery_app.conf.task_default_queue
        celery_app.conf.task_default_queue = queue  # every doorbell of this test goes to the test's worker
        try:
            before = set(AlertIntake.objects.values_list("pk", flat=True))  # the setup's own touch
            started = time.monotonic()
            touch_event_record(contact=contact, kind=TouchKind.PAGE_VIEW, occurred_at=timezone.now(),
                               url="https://example.jp/pricing")
            [intake] = AlertIntake.objects.exclude(pk__in=before)  # the request only stored the intake
            while time.monotonic() - started < 10 and Alert.objects.filter(contact=contact).count() < 2:
                time.sleep(0.05)
        finally:
            celery_app.conf.task_default_queue = previous
    assert sorted(Alert.objects.filter(contact=contact).values_list("trigger__kind", flat=True)) == [
        TriggerKind.DORMANT_RETURN, TriggerKind.PAGE_VIEW]
    intake.refresh_from_db()
    assert intake.done_at is not None
