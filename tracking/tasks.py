"""Celery tasks of tracking: drain the event buffer, prune old anonymous page views."""
from celery import shared_task
from django.utils import timezone

from .pipeline import events_drain_run
from .services import anonymous_views_prune


@shared_task(name="tracking.tasks.events_drain", acks_late=True, ignore_result=True)
def events_drain():
    """Doorbell and safety net alike: store what the buffer holds (one drain at a time)."""
    return events_drain_run()


@shared_task(name="tracking.tasks.anonymous_views_prune", ignore_result=True)
def anonymous_views_prune_task():
    return anonymous_views_prune(now=timezone.now())
