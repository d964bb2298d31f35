"""Accepting tracking events (buffer, or straight to the database) and draining the buffer.

`event_accept` is what every public endpoint calls: the record goes to the
Redis buffer and a drain is kicked (at most once per doorbell period). If
Redis cannot take it, the record is stored synchronously right away: losing
an event is worse than a slow request. With Celery running eagerly (the
tests, a single-process run) the drain runs inline, so the event is stored
when the request returns.
"""
import logging
import time

import redis
from celery import current_app
from django.conf import settings
from django.db import DataError, IntegrityError
from django.utils import timezone

from . import buffer
from .store import records_store

logger = logging.getLogger(__name__)
DRAIN_TASK = "tracking.tasks.events_drain"


def event_accept(record):
    """Buffer one record (or store it now when buffering is off or Redis is down)."""
    rang = buffer.push(record) if settings.TRACKING_BUFFERED else None
    if rang is None:
        records_store([record], now=timezone.now())
        return
    if current_app.conf.task_always_eager:
        events_drain_run()
    elif rang:
        try:
            current_app.send_task(DRAIN_TASK, expires=30, queue=settings.TRACKING_QUEUE)
        except Exception:  # the broker hiccupped: the record is safe in the buffer, beat's drain stores it
            logger.exception("tracking: could not enqueue the drain; beat's safety net will")


def events_drain_run(*, batch_size=None, budget_seconds=None):
    """Store what the buffer holds, in batches, until a batch comes back short; returns how many were read.

    Returns 0 at once when another drain holds the lock. A drain does not
    spin on a trickle: it stops at the first short batch, and when records
    arrived meanwhile it leaves one trailing drain a doorbell period later
    (records pushed while the bell still rang from the last kick have no
    other drain coming but beat's).
    """
    batch_size = batch_size or settings.TRACKING_DRAIN_BATCH
    deadline = time.monotonic() + (budget_seconds or settings.TRACKING_DRAIN_BUDGET_SECONDS)
    try:
        token = buffer.lock_acquire(settings.TRACKING_DRAIN_LEASE_SECONDS)
        if token is None:
            return 0
        try:
            handled = _drain_locked(batch_size, deadline)
        finally:
            buffer.lock_release(token)
        if buffer.pending() and not current_app.conf.task_always_eager:
            current_app.send_task(DRAIN_TASK, countdown=settings.TRACKING_DOORBELL_MS / 1000, expires=30,
                                  queue=settings.TRACKING_QUEUE)
    except redis.RedisError:
        logger.exception("tracking: drain stopped, Redis unreachable")
        return 0
    return handled


def _store_or_set_aside(records):
    """Store a batch that was taken before; when its data is what fails, store it record by record and set the
    records that still fail aside (buffer.DEAD, logged) rather than stall the pipeline behind them.

    A database that is down is not a data problem: that error propagates and the batch stays in flight.
    """
    try:
        records_store(records, now=timezone.now())
        return
    except (IntegrityError, DataError):
        logger.exception("tracking: a batch of %d records fails; storing them one by one", len(records))
    for record in records:
        try:
            records_store([record], now=timezone.now())
        except (IntegrityError, DataError):
            logger.exception("tracking: setting aside a record that cannot be stored: %.300r", record)
            buffer.set_aside(record)


def _drain_locked(batch_size, deadline):
    handled = 0
    left = buffer.inflight()  # a crashed drain's batch comes first; storing it again is a no-op for what it wrote
    if left:
        _store_or_set_aside(left)
        buffer.confirm()
        handled += len(left)
    while True:  # at least one batch, then full batches while the time budget lasts
        batch = buffer.take(batch_size)
        if not batch:
            break
        records_store(batch, now=timezone.now())
        buffer.confirm()
        handled += len(batch)
        if len(batch) < batch_size or time.monotonic() >= deadline:
            break
    return handled
