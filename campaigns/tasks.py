"""Celery tasks for sending: thin wrappers that take ids, call the sending services and ring the next doorbell.

Time limits sit well below the Redis visibility timeout (a test asserts it),
so a message is never handed to a second worker while the first still runs.

A send task that loses the database (a restart, a failover, a dropped
connection) retries itself with the same ids after 2, 4, 8 … 60 s (about
4 minutes in all): the ids are only a doorbell, the claim skips whatever is no
longer queued, so a retry is safe. Without it every send message delivered
during the outage would fail at once and its rows would wait for
SENDING_REDISPATCH_SECONDS (10 minutes) to be handed out again. The broken
connection is closed before the retry runs (Celery's Django fix-up closes
unusable connections around every task). The countdowns stay far below the
visibility timeout.
"""
from functools import partial

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from .sending import dispatch, health, send

SEND_TIME_LIMIT = 600  # a send task claims nothing new after SENDING_TASK_BUDGET_SECONDS (540 by default)
SEND_SOFT_TIME_LIMIT = 580
SWEEP_TIME_LIMIT = 300
SWEEP_SOFT_TIME_LIMIT = 280
DATABASE_LOST = (OperationalError, InterfaceError)
SEND_DB_RETRIES = 8  # 2 + 4 + 8 + 16 + 32 + 60 + 60 + 60 s


@shared_task(name="campaigns.tasks.deliveries_send", time_limit=SEND_TIME_LIMIT, soft_time_limit=SEND_SOFT_TIME_LIMIT,
             autoretry_for=DATABASE_LOST, max_retries=SEND_DB_RETRIES, retry_backoff=2, retry_backoff_max=60,
             retry_jitter=False)
def deliveries_send(ids):
    result = send.deliveries_send(ids=ids)
    return {"sent": result.sent, "retried": result.retried, "failed": result.failed, "deferred": result.deferred,
            "skipped": dict(result.skipped), "released": result.released}


@shared_task(name="campaigns.tasks.deliveries_dispatch",
             time_limit=SWEEP_TIME_LIMIT, soft_time_limit=SWEEP_SOFT_TIME_LIMIT)
def deliveries_dispatch():
    now = timezone.now()
    with transaction.atomic():
        batches = dispatch.deliveries_dispatch(now=now)
        deliveries_send_enqueue(batches)
    handed = sum(len(batch) for batch in batches)
    health.beat_run_record("dispatch", now=now, handed=handed)
    return handed


@shared_task(name="campaigns.tasks.deliveries_sweep",
             time_limit=SWEEP_TIME_LIMIT, soft_time_limit=SWEEP_SOFT_TIME_LIMIT)
def deliveries_sweep():
    now = timezone.now()
    unknown, finished = dispatch.deliveries_sweep(now=now)
    health.beat_run_record("sweep", now=now, unknown=unknown, finished=finished)  # for the Sending health page
    return {"unknown": unknown, "finished": finished}


def deliveries_send_enqueue(batches):
    """One send task per batch of ids, sent once the transaction that stamped them has committed."""
    options = {"queue": settings.SENDING_QUEUE} if settings.SENDING_QUEUE else {}
    for batch in batches:
        transaction.on_commit(partial(deliveries_send.apply_async, args=[list(batch)], **options))
