"""Celery tasks for scoring: thin wrappers that call services."""
from celery import shared_task
from django.db import transaction
from django.utils import timezone

from . import services


@shared_task(name="scoring.tasks.scores_recompute")
def scores_recompute():
    result = services.scores_recompute(now=timezone.now())
    return {"scored": result.scored, "hot": result.hot}


@shared_task(name="scoring.tasks.contact_facts_apply")
def contact_facts_apply(contact_ids, touches_only=False):
    services.contact_facts_apply(contact_ids=contact_ids, now=timezone.now(), touches_only=touches_only)


def scores_recompute_enqueue():
    """Send the doorbell once the surrounding transaction has committed."""
    transaction.on_commit(scores_recompute.delay)
