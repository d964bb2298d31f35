"""The whole path through a real Celery worker: a touch stored here, the alert stored by the worker."""
import time
import uuid

import pytest
import redis

from alerts.models import Alert, AlertIntake, Channel, Notification, NotificationStatus, TriggerKind
from config.celery import app as celery_app
from contacts.models import TouchKind
from contacts.services import touch_event_record
from tests.worker import running_worker

from .conftest import evaluate_batch, make_contact, touch


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


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_backlog_of_notifications_does_not_hold_up_the_next_evaluation(rep, settings):
    """With ALERTS_QUEUE set, a burst of alerts queues an email each; the next touch's evaluation (what puts its
    alerts in the inbox) is taken before them, however many wait (task_route: a lower priority for the mail)."""
    queue = f"test-alerts-{uuid.uuid4().hex[:8]}"
    settings.ALERTS_QUEUE = queue
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False  # queued, for the worker started below
    try:
        _backlog_then_evaluation(rep, settings, queue)
    finally:
        celery_app.conf.task_always_eager = previous


def _backlog_then_evaluation(rep, settings, queue):
    from django.utils import timezone

    now = timezone.now()
    burst = [make_contact(last_touch_days=1, owner=rep, now=now) for _ in range(30)]
    evaluate_batch([touch(contact, url="https://example.jp/pricing", at=now) for contact in burst], now=now)
    waiting = list(Notification.objects.filter(channel=Channel.EMAIL).values_list("pk", flat=True))
    assert len(waiting) == 30
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    assert client.llen(f"{queue}\x06\x166") >= 30  # the emails, at priority 6
    dormant = make_contact(last_touch_days=300, now=now)
    before = set(AlertIntake.objects.values_list("pk", flat=True))
    touch_event_record(contact=dormant, kind=TouchKind.PAGE_VIEW, occurred_at=timezone.now(),
                       url="https://example.jp/pricing")
    [intake] = AlertIntake.objects.exclude(pk__in=before)
    assert client.llen(queue) >= 1  # its evaluation, at the default priority, queued after the emails
    env = {"ALERTS_QUEUE": "{queue}", "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    with running_worker(queue=queue, env=env):
        started = time.monotonic()
        while time.monotonic() - started < 30 and (
                Notification.objects.filter(pk__in=waiting, status=NotificationStatus.SENT).count() < 30
                or Alert.objects.filter(contact=dormant).count() < 2):
            time.sleep(0.1)
    intake.refresh_from_db()
    sent = sorted(Notification.objects.filter(pk__in=waiting).values_list("sent_at", flat=True))
    assert len(sent) == 30 and None not in sent
    assert Alert.objects.filter(contact=dormant).count() == 2
    assert intake.done_at <= sent[0]
