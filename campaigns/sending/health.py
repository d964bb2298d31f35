"""What the Sending health page shows, and the notes beat's sending jobs leave for it.

Read side (`sending_health`): deliveries by state in one aggregate query (with
the `sending` rows past their lease, the rows waiting to retry and the oldest
due row), the latest failed, interrupted (`unknown`) and retrying rows
(LIMITed), the sending queue's length in the Celery broker, and what dispatch
and the sweeper last did.

Write side (`beat_run_record`): dispatch and the sweeper record each run (when,
and what they did) in Redis: one small JSON value per job, plus the job's last
run that changed something, so no migration and no row written every 15 s.
Recording is best effort: Redis being down costs only the note.
"""
import json
import logging
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.db.models import Count, Min, Q

from campaigns.models import Delivery, DeliveryStatus, SendingSettings
from campaigns.policy import is_quiet, next_allowed_slot

logger = logging.getLogger(__name__)

RUN_KEY = "rekindle:sending:beat:{job}"  # the job's last run: {"at": ISO time, count: n, …}
CHANGE_KEY = "rekindle:sending:beat:{job}:{count}"  # its last run with count > 0: {"at": …, "n": n}
SINCE_KEY = "rekindle:sending:beat:{job}:since"  # the first run seen: {"at": …} (lives as long as the last run)
RUN_TTL = 30 * 24 * 3600
JOBS = {"dispatch": ("handed",), "sweep": ("unknown", "finished")}
LIST_LIMIT = 25
RECENT = timedelta(hours=24)


def _client(url=None):
    return redis.Redis.from_url(url or settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)


def beat_run_record(job, *, now, **counts):
    """Note that beat's `job` ran at `now` and what it did (`counts`: the numbers JOBS names for it)."""
    at = now.isoformat()
    try:
        pipe = _client().pipeline(transaction=False)
        pipe.set(RUN_KEY.format(job=job), json.dumps({"at": at, **counts}), ex=RUN_TTL)
        pipe.set(SINCE_KEY.format(job=job), json.dumps({"at": at}), ex=RUN_TTL, nx=True)
        for name, value in counts.items():
            if value:
                pipe.set(CHANGE_KEY.format(job=job, count=name), json.dumps({"at": at, "n": value}), ex=RUN_TTL)
        pipe.execute()
    except redis.RedisError:
        logger.warning("Could not record the %s run in Redis", job, exc_info=True)


def beat_runs():
    """{job: {"last": {...} | None, count name: {"at", "n"} | None, …}}, or None when Redis cannot be reached."""
    keys = [RUN_KEY.format(job=job) for job in JOBS]
    keys += [SINCE_KEY.format(job=job) for job in JOBS]
    keys += [CHANGE_KEY.format(job=job, count=name) for job, names in JOBS.items() for name in names]
    try:
        values = iter(_parse(value) for value in _client().mget(keys))
    except redis.RedisError:
        return None
    runs = {job: {"last": next(values)} for job in JOBS}
    for job in JOBS:
        runs[job]["since"] = next(values)
    for job, names in JOBS.items():
        runs[job].update({name: next(values) for name in names})
    return runs


def _parse(value):
    if not value:
        return None
    try:
        data = json.loads(value)
        data["at"] = datetime.fromisoformat(data["at"])
    except (ValueError, KeyError, TypeError):
        return None
    return data


def sending_queue():
    """The sending queue's name, its waiting task messages and the broker's unacknowledged ones, or None (down)."""
    from config.celery import app, queue_lists  # the broker URL and default queue as the workers see them

    name = settings.SENDING_QUEUE or app.conf.task_default_queue
    try:
        client = _client(settings.CELERY_BROKER_URL)
        pipe = client.pipeline(transaction=False)
        for key in queue_lists(name):
            pipe.llen(key)
        pipe.hlen("unacked")
        *lengths, unacked = pipe.execute()
    except redis.RedisError:
        return None
    return {"name": name, "shared": not settings.SENDING_QUEUE, "waiting": sum(lengths), "unacked": unacked}


def delivery_counts(*, now):
    """Deliveries by state (all time and the last 24 hours), overdue leases, retries, oldest due: one query."""
    since = now - RECENT
    aggregates = {status.value: Count("id", filter=Q(status=status)) for status in DeliveryStatus}
    aggregates.update({
        f"{status}_recent": Count("id", filter=Q(status=status, updated_at__gte=since))
        for status in (DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.UNKNOWN)})
    return Delivery.objects.aggregate(
        **aggregates,
        overdue=Count("id", filter=Q(status=DeliveryStatus.SENDING, lease_until__lt=now)),
        retrying=Count("id", filter=Q(status=DeliveryStatus.QUEUED, attempts__gt=0)),
        oldest_due=Min("scheduled_at", filter=Q(status=DeliveryStatus.QUEUED, scheduled_at__lte=now)),
    )


def _latest(**filters):
    return list(Delivery.objects.filter(**filters)
                .select_related("contact", "step__campaign")
                .only("id", "status", "reason", "attempts", "last_error", "scheduled_at", "updated_at", "message_id",
                      "to_email", "contact__id", "contact__email", "contact__last_name", "contact__first_name",
                      "step__id", "step__position", "step__kind", "step__campaign__id", "step__campaign__name",
                      "step__campaign__kind")
                .order_by("-updated_at", "-id")[:LIST_LIMIT])


def _sweep_late(runs, *, now, every):
    """Beat or every worker is down: the sweeper has not run for three of its intervals.

    A sweeper with no run yet is late only once beat's dispatch has been running that long (or never ran): beat
    sweeps first one interval after it starts, and a fresh install should not open on a false alarm.
    """
    if not runs:
        return False  # Redis cannot say
    grace = timedelta(seconds=3 * every)
    since = (runs["sweep"]["last"] or runs["dispatch"]["since"] or {}).get("at")
    return since is None or now - since > grace


def _quiet_until(now):
    """When mail may go out again, while the sending hours hold it (night, weekend, holiday); else None."""
    policy = SendingSettings.load()
    return next_allowed_slot(now, policy) if is_quiet(now, policy) else None


def sending_health(*, now):
    """Everything the Sending health page shows, read now."""
    counts = delivery_counts(now=now)
    runs = beat_runs()
    sweep_every = settings.CELERY_BEAT_SCHEDULE["sweep-deliveries"]["schedule"]
    return {
        "counts": counts,
        "unknown": _latest(status=DeliveryStatus.UNKNOWN),
        "failed": _latest(status=DeliveryStatus.FAILED),
        "retrying": _latest(status=DeliveryStatus.QUEUED, attempts__gt=0),
        "queue": sending_queue(),
        "runs": runs,
        "sweep_every": int(sweep_every),
        "lease_seconds": settings.SENDING_LEASE_SECONDS,
        "sweep_late": _sweep_late(runs, now=now, every=sweep_every),
        "quiet_until": _quiet_until(now),
        "now": now,
    }
