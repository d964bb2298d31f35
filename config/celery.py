"""Celery app. Reliability settings (acks late, reject on worker loss, time
limits below the Redis visibility timeout) follow shared/docs/RELIABILITY.md."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

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


@app.task(name="config.ping")
def ping():
    """Round-trip probe used by the tests and by operators."""
    return "pong"
