"""Celery tasks for the reports: thin wrappers over reports.snapshots and reports.campaign_answers."""
from celery import shared_task
from django.utils import timezone

from contacts.rules import workspace_today

from . import campaign_answers, snapshots


@shared_task(name="reports.tasks.daily_snapshots_compute")
def daily_snapshots_compute():
    """Beat, hourly: yesterday and today (workspace calendar) and the open funnel window; idempotent."""
    written = snapshots.daily_snapshots_compute(today=workspace_today())
    return {day.isoformat(): rows for day, rows in written.items()}


@shared_task(name="reports.tasks.campaign_answers_reconcile")
def campaign_answers_reconcile():
    """Beat, nightly: the campaign report's stored answers of every row whose window is still open, recomputed
    from the facts (repairs what a race hid from the incremental updates); idempotent."""
    changed = campaign_answers.open_answers_reconcile(now=timezone.now())
    return {str(campaign_id): list(written) for campaign_id, written in changed.items()}
