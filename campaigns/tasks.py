"""Celery tasks for sending: thin wrappers that take ids, call the sending services and ring the next doorbell.

Time limits sit well below the Redis visibility timeout (a test asserts it),
so a message is never handed to a second worker while the first still runs.
"""
from functools import partial

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .sending import dispatch, send

SEND_TIME_LIMIT = 600  # a send task claims nothing new after SENDING_TASK_BUDGET_SECONDS (540 by default)
SEND_SOFT_TIME_LIMIT = 580
SWEEP_TIME_LIMIT = 300
SWEEP_SOFT_TIME_LIMIT = 280


@shared_task(name="campaigns.tasks.deliveries_send", time_limit=SEND_TIME_LIMIT, soft_time_limit=SEND_SOFT_TIME_LIMIT)
def deliveries_send(ids):
    result = send.deliveries_send(ids=ids)
    return {"sent": result.sent, "retried": result.retried, "failed": result.failed, "deferred": result.deferred,
            "skipped": dict(result.skipped), "released": result.released}


@shared_task(name="campaigns.tasks.deliveries_dispatch",
             time_limit=SWEEP_TIME_LIMIT, soft_time_limit=SWEEP_SOFT_TIME_LIMIT)
def deliveries_dispatch():
    with transaction.atomic():
        batches = dispatch.deliveries_dispatch(now=timezone.now())
        deliveries_send_enqueue(batches)
    return sum(len(batch) for batch in batches)


@shared_task(name="campaigns.tasks.deliveries_sweep",
             time_limit=SWEEP_TIME_LIMIT, soft_time_limit=SWEEP_SOFT_TIME_LIMIT)
def deliveries_sweep():
    unknown, finished = dispatch.deliveries_sweep(now=timezone.now())
    return {"unknown": unknown, "finished": finished}


def deliveries_send_enqueue(batches):
    """One send task per batch of ids, sent once the transaction that stamped them has committed."""
    options = {"queue": settings.SENDING_QUEUE} if settings.SENDING_QUEUE else {}
    for batch in batches:
        transaction.on_commit(partial(deliveries_send.apply_async, args=[list(batch)], **options))
