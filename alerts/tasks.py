"""Celery tasks for alerts: thin wrappers that take ids and call services."""
from datetime import timedelta
from functools import partial

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from . import evaluate, notify, services

# An intake not done this long after it was stored lost its doorbell (or its worker): ring again.
INTAKE_GRACE = timedelta(seconds=20)
# Evaluated intakes are kept this long (to look into a report of a missed alert), then deleted.
INTAKE_KEEP = timedelta(days=7)


@shared_task(name="alerts.tasks.intake_process", time_limit=300, soft_time_limit=270)
def intake_process(intake_id):
    return len(evaluate.intake_process(intake_id=intake_id, now=timezone.now()))


@shared_task(name="alerts.tasks.notification_send", time_limit=120, soft_time_limit=100)
def notification_send(notification_id):
    return notify.notification_send(notification_id=notification_id, now=timezone.now())


@shared_task(name="alerts.tasks.alerts_sweep", time_limit=60, soft_time_limit=50)
def alerts_sweep():
    """Every few seconds: lost intakes, due or stuck notifications, snoozed alerts whose time came."""
    now = timezone.now()
    for pk in evaluate.intakes_pending(older_than=now - INTAKE_GRACE):
        transaction.on_commit(partial(intake_process.delay, pk))
    for pk in notify.notifications_due(now=now):
        transaction.on_commit(partial(notification_send.delay, pk))
    evaluate.intakes_prune(before=now - INTAKE_KEEP)
    return services.snoozed_wake(now=now)
