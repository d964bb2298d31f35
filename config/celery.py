"""Celery app. Reliability settings (acks late, reject on worker loss, time
limits below the Redis visibility timeout) follow shared/docs/RELIABILITY.md."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# kombu's Redis transport keeps a queue's prioritised messages in sibling lists: name, name\x06\x163, …
PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


def queue_lists(name):
    """The Redis lists that hold a queue's waiting messages, one per priority step."""
    return [name + suffix for suffix in PRIORITY_SUFFIXES]


app = Celery("rekindle")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    result_expires=3600,
    enable_utc=True,
)
app.autodiscover_tasks()


def task_route(name, args, kwargs, options, task=None, **kw):
    """The alert tasks to ALERTS_QUEUE when it is set (CELERY_TASK_ROUTES), the notifications at a lower priority
    than the evaluation there; anything else (or no ALERTS_QUEUE) to the default queue."""
    from django.conf import settings

    if not settings.ALERTS_QUEUE:
        return None
    if name == "alerts.tasks.intake_process":
        return {"queue": settings.ALERTS_QUEUE}
    if name == "alerts.tasks.notification_send":
        return {"queue": settings.ALERTS_QUEUE, "priority": settings.ALERTS_NOTIFICATION_PRIORITY}
    return None


@app.task(name="config.ping")
def ping():
    """Round-trip probe used by the tests and by operators."""
    return "pong"
