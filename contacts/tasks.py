"""Celery tasks for contacts: thin wrappers that take ids and call services."""
from functools import partial

from celery import shared_task
from django.db import transaction

from contacts.importing import services as importing


@shared_task(name="contacts.tasks.import_job_run")
def import_job_run(job_id):
    importing.import_job_run(job_id=job_id)


@shared_task(name="contacts.tasks.import_jobs_sweep")
def import_jobs_sweep():
    for job_id in importing.import_jobs_sweep():
        transaction.on_commit(partial(import_job_run.delay, str(job_id)))


def import_job_enqueue(job_id):
    """Send the doorbell once the transaction that queued the job has committed."""
    transaction.on_commit(partial(import_job_run.delay, str(job_id)))
