"""Beat task for recurring newsletters (registered through CELERY_IMPORTS; campaigns.tasks is the sender's)."""
from celery import shared_task
from django.utils import timezone

from .recurring import recurring_run_due


@shared_task(name="campaigns.tasks_recurring.recurring_run", soft_time_limit=240, time_limit=270)
def recurring_run():
    return {str(pk): rows for pk, rows in recurring_run_due(now=timezone.now()).items()}
