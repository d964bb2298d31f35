"""Celery tasks for the dashboard's daily snapshots: thin wrappers over reports.snapshots."""
from celery import shared_task

from contacts.rules import workspace_today

from . import snapshots


@shared_task(name="reports.tasks.daily_snapshots_compute")
def daily_snapshots_compute():
    """Beat, hourly: yesterday and today (workspace calendar) and the open funnel window; idempotent."""
    written = snapshots.daily_snapshots_compute(today=workspace_today())
    return {day.isoformat(): rows for day, rows in written.items()}
