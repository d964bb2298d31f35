"""Celery tasks for segments: thin wrappers that take ids and call services."""
from functools import partial

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from . import services


@shared_task(name="segments.tasks.segment_refresh")
def segment_refresh(segment_id):
    services.segment_refresh(segment_id=segment_id, run_at=timezone.now())


@shared_task(name="segments.tasks.segments_refresh_all")
def segments_refresh_all():
    for segment_id in services.segments_to_refresh():
        transaction.on_commit(partial(segment_refresh.delay, segment_id))


def segment_refresh_enqueue(segment_id):
    """Send the doorbell once the surrounding transaction has committed."""
    transaction.on_commit(partial(segment_refresh.delay, segment_id))
