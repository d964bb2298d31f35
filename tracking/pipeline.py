"""Accepting tracking events (buffer, or straight to the database) and draining the buffer.

`event_accept` is what every public endpoint calls: the record goes to the
Redis buffer and a drain is kicked (at most once per doorbell period, or
at once when the last drain has finished). If
Redis cannot take it, the record is stored synchronously right away: losing
an event is worse than a slow request. With Celery running eagerly (the
tests, a single-process run) the drain runs inline, so the event is stored
when the request returns.
"""
import hashlib
import json
import logging
import time

import redis
from celery import current_app
from django.conf import settings
from django.db import DataError, IntegrityError
from django.utils import timezone

from config.throttle import over_limit, window_key

from . import buffer
from .store import records_store

logger = logging.getLogger(__name__)
DRAIN_TASK = "tracking.tasks.events_drain"


def event_accept(record, *, throttle=None):
    """Buffer one record (or store it now when buffering is off or Redis is down).

    `throttle` = (scope, client IP, requests allowed per minute; 0 = no limit)
    counts the request (in the same Redis round trip as the push); returns
    False, having written nothing, when the client is past its limit, else True.
    """
    scope, ip, per_minute = throttle or ("", "", 0)
    if not settings.TRACKING_BUFFERED:
        if per_minute and over_limit(scope, ip, per_minute):
            return False
        rang = None
    else:
        rang = (buffer.push(record, throttle_key=window_key(scope, ip), per_minute=per_minute) if per_minute
                else buffer.push(record))
        if rang is buffer.REFUSED:
            return False
    if rang is None:
        records_store([record], now=timezone.now())
        return True
    if current_app.conf.task_always_eager:
        events_drain_run(gather_ms=0)
    elif rang:
        try:
            current_app.send_task(DRAIN_TASK, expires=30, queue=settings.TRACKING_QUEUE)
        except Exception:  # the broker hiccupped: the record is safe in the buffer, beat's drain stores it
            logger.exception("tracking: could not enqueue the drain; beat's safety net will")
    return True


def drain_kick():
    """Have the buffer drained now (inline when Celery runs eagerly)."""
    if current_app.conf.task_always_eager:
        events_drain_run(gather_ms=0)
    else:
        current_app.send_task(DRAIN_TASK, expires=30, queue=settings.TRACKING_QUEUE)


def set_aside_list(limit=100):
    """[(digest, raw text, parsed JSON object or None)] of the records the drain set aside, oldest first."""
    listed = []
    for raw in buffer.set_aside_records(limit):
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        try:
            record = json.loads(text)
        except ValueError:
            record = None
        listed.append((hashlib.sha256(raw if isinstance(raw, bytes) else raw.encode()).hexdigest()[:16], text,
                       record if isinstance(record, dict) else None))
    return listed


def set_aside_resolve(digests, *, retry):
    """Retry (back on the queue, then a drain) or discard the set-aside records with these digests; returns how
    many were moved (one already handled by someone else is skipped)."""
    wanted = set(digests)
    moved = 0
    for raw in buffer.set_aside_records(10_000):
        if hashlib.sha256(raw).hexdigest()[:16] in wanted and buffer.set_aside_move(raw, retry=retry):
            moved += 1
    if moved and retry:
        drain_kick()
    return moved


def events_drain_run(*, batch_size=None, budget_seconds=None, gather_ms=None):
    """Store what the buffer holds, in batches, while records keep coming; returns how many were read.

    Returns 0 at once when another drain holds the lock (that one will see
    the records). The lock holder keeps draining while traffic lasts: after a
    short batch it waits `gather_ms` (TRACKING_DRAIN_GATHER_MS) for the next
    one to fill, so under load one drain stores a few hundred records per
    transaction instead of a handful, and stops at the first empty take or
    at its time budget. On the way out it silences nothing: it clears the
    doorbell, so the next event kicks a drain at once, and when records are
    already waiting it enqueues one successor (never more than one, so
    drains cannot multiply under load).
    """
    batch_size = batch_size or settings.TRACKING_DRAIN_BATCH
    deadline = time.monotonic() + (budget_seconds or settings.TRACKING_DRAIN_BUDGET_SECONDS)
    gather = (settings.TRACKING_DRAIN_GATHER_MS if gather_ms is None else gather_ms) / 1000
    try:
        token = buffer.lock_acquire(settings.TRACKING_DRAIN_LEASE_SECONDS)
        if token is None:
            return 0
        try:
            handled = _drain_locked(batch_size, deadline, gather)
        finally:
            buffer.lock_release(token)
        buffer.bell_clear()  # from here on, a new event rings for a new drain; what came before is checked now
        if buffer.pending() and not current_app.conf.task_always_eager:
            current_app.send_task(DRAIN_TASK, expires=30, queue=settings.TRACKING_QUEUE)
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


def _drain_locked(batch_size, deadline, gather):
    handled = 0
    left = buffer.inflight()  # a crashed drain's batch comes first; storing it again is a no-op for what it wrote
    if left:
        _store_or_set_aside(left)
        buffer.confirm()
        handled += len(left)
    while True:  # at least one batch, then on while records come and the time budget lasts
        batch = buffer.take(batch_size)
        if not batch:
            break
        records_store(batch, now=timezone.now())
        buffer.confirm()
        handled += len(batch)
        if time.monotonic() >= deadline:
            break
        if len(batch) < batch_size and gather:  # a trickle or steady traffic: let the next batch fill
            time.sleep(min(gather, max(0.0, deadline - time.monotonic())))
    return handled
