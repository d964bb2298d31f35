"""Import jobs in the worker: claiming, atomic runs, the sweep."""
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from contacts import tasks
from contacts.importing import pipeline, reading, services
from contacts.importing.services import import_job_create, import_job_queue, import_job_run, import_jobs_sweep
from contacts.models import Contact, ImportJob, ImportStatus, TouchEvent

from .test_import_helpers import english, upload_dir, write_csv  # noqa: F401 (autouse / fixtures)

pytestmark = pytest.mark.usefixtures("upload_dir")


@pytest.fixture
def queued_job(marketer, tmp_path):
    def make(rows, kind="contacts", good_rows_only=False):
        path = write_csv(tmp_path / f"{kind}.csv", rows)
        job = import_job_create(kind=kind, path=path, user=marketer)
        assert import_job_queue(job=job, import_good_rows=good_rows_only)
        return ImportJob.objects.get(pk=job.pk)

    return make


def test_only_a_queued_job_is_claimed(queued_job):
    job = queued_job([["email"], ["a@example.com"]])
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)

    assert import_job_run(job_id=job.pk) is None
    assert Contact.objects.count() == 0


def test_run_marks_done_with_counts_and_clears_the_lease(queued_job):
    job = queued_job([["email"], ["a@example.com"], ["b@example.com"]])

    done = import_job_run(job_id=job.pk)

    assert done.status == ImportStatus.DONE
    assert done.result == {"created": 2, "updated": 0, "unchanged": 0, "skipped": 0, "attempts": 1}
    assert done.lease_until is None
    assert done.started_at <= done.finished_at


def test_rows_that_went_bad_since_the_check_fail_the_job_and_import_nothing(queued_job, tmp_path):
    Contact.objects.create(email="a@example.com")
    Contact.objects.create(email="b@example.com")
    job = queued_job([["email", "kind", "occurred_at"], ["a@example.com", "call", "2024-04-01"],
                      ["b@example.com", "call", "2024-04-02"]], kind="events")
    Contact.objects.filter(email="b@example.com").delete()

    failed = import_job_run(job_id=job.pk)

    assert failed.status == ImportStatus.FAILED
    assert failed.error == (
        "The file now has 1 bad rows (the data changed since it was checked). Nothing was imported."
    )
    assert failed.report["errors"] == [
        {"line": 3, "column": "email", "message": "No contact with this email. Import the contacts first."}
    ]
    assert TouchEvent.objects.count() == 0


def test_a_crash_mid_import_leaves_nothing_behind(queued_job, monkeypatch):
    job = queued_job([["email", "first_name"]] + [[f"u{n}@example.com", "x"] for n in range(12)])
    real_load = pipeline.LOADERS["contacts"]
    calls = []

    def load_then_crash(rows, ctx):
        calls.append(len(rows))
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return real_load(rows, ctx)

    monkeypatch.setitem(pipeline.LOADERS, "contacts", load_then_crash)
    monkeypatch.setattr(reading, "CHUNK_ROWS", 5)

    failed = import_job_run(job_id=job.pk)

    assert calls == [5, 5]
    assert failed.status == ImportStatus.FAILED
    assert failed.error == "The import failed and nothing was imported: disk on fire"
    assert Contact.objects.count() == 0


def test_transient_database_error_requeues_with_backoff(queued_job, monkeypatch):
    job = queued_job([["email"], ["a@example.com"]])

    def locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(services, "file_process", locked)
    before = timezone.now()

    again = import_job_run(job_id=job.pk)

    assert again.status == ImportStatus.QUEUED
    assert again.error == "database is locked"
    assert again.lease_until >= before + services.QUEUE_DEADLINE
    assert again.result == {"attempts": 1}


def test_sweep_reenqueues_jobs_whose_message_was_lost(queued_job):
    job = queued_job([["email"], ["a@example.com"]])
    now = timezone.now()
    fresh = queued_job([["email"], ["b@example.com"]])
    ImportJob.objects.filter(pk=job.pk).update(lease_until=now - timedelta(seconds=1))

    assert import_jobs_sweep(now=now) == [job.pk]
    job.refresh_from_db()
    assert job.lease_until == now + services.QUEUE_DEADLINE
    assert import_jobs_sweep(now=now) == []  # not twice while the message is on its way
    fresh.refresh_from_db()
    assert fresh.status == ImportStatus.QUEUED


def test_sweep_revives_a_job_whose_worker_died(queued_job):
    job = queued_job([["email"], ["a@example.com"]])
    now = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, lease_until=now - timedelta(seconds=1), result={"attempts": 1})

    assert import_jobs_sweep(now=now) == [job.pk]
    job.refresh_from_db()
    assert job.status == ImportStatus.QUEUED


def test_sweep_gives_up_after_the_last_attempt(queued_job):
    job = queued_job([["email"], ["a@example.com"]])
    now = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, lease_until=now - timedelta(seconds=1),
        result={"attempts": services.MAX_ATTEMPTS})

    assert import_jobs_sweep(now=now) == []
    job.refresh_from_db()
    assert (job.status, job.error) == (ImportStatus.FAILED, "The import was interrupted 3 times and was given up.")


def test_running_job_within_its_lease_is_left_alone(queued_job):
    job = queued_job([["email"], ["a@example.com"]])
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, lease_until=timezone.now() + timedelta(minutes=5))

    assert import_jobs_sweep() == []


def test_sweep_task_runs_the_revived_job(queued_job, django_capture_on_commit_callbacks):
    job = queued_job([["email"], ["a@example.com"]])
    ImportJob.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(minutes=3))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        tasks.import_jobs_sweep.delay()

    # The revived job's doorbell, then the import's "these contacts changed" notice.
    assert len(callbacks) == 2
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert Contact.objects.get().email == "a@example.com"
