"""Beat task of the sequence and playbook engine (registered through CELERY_IMPORTS)."""
from celery import shared_task
from django.utils import timezone

from .run import flows_run as run


@shared_task(name="campaigns.flows.tasks.flows_run", soft_time_limit=240, time_limit=270)
def flows_run():
    summary = run(now=timezone.now())
    if summary is None:
        return {"skipped": "another pass is still running"}
    return {str(pk): {"enrolled": row["enrolled"], "moved": row["moved"], "more": row["more"]}
            for pk, row in summary.items()}
