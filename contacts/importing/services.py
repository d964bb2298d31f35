"""Import jobs (upload → check → confirm → worker) and whole-file runs.

A job's life: import_job_create stores and checks the file (VALIDATED or
REJECTED); import_job_queue records the user's go-ahead (QUEUED); a worker
claims it with a conditional UPDATE (RUNNING) and imports the whole file in
one transaction that also marks it DONE, so data and status commit together
or not at all. import_jobs_sweep revives jobs whose message was lost or
whose worker died; re-running is safe because the import is atomic and
idempotent.

lease_until means "pick-up deadline" for a QUEUED job and "a worker must be
dead by then" for a RUNNING one (the Celery hard time limit plus a margin).
"""
import logging
import shutil
import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts.models import ImportJob, ImportStatus

from .decoding import detect_encoding
from .errors import BadRowsFound, FileRejected, ImportNotAllowed
from .pipeline import FileOutcome, default_source_name, file_process

logger = logging.getLogger(__name__)

QUEUE_DEADLINE = timedelta(minutes=2)
MAX_ATTEMPTS = 3
SWEEP_BATCH = 100
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


def _run_lease():
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)


def import_job_create(*, kind, user, uploaded_file=None, path=None):
    """Store an uploaded file (or copy `path`) and check it; nothing is imported yet."""
    job_id = uuid.uuid4()
    upload_dir = Path(settings.IMPORT_UPLOAD_DIR)
    upload_dir.mkdir(parents=True, exist_ok=True)
    stored = upload_dir / f"{job_id}.csv"
    if uploaded_file is not None:
        with open(stored, "wb") as out:
            for block in uploaded_file.chunks():
                out.write(block)
        name = uploaded_file.name
    else:
        shutil.copyfile(path, stored)
        name = str(path)
    job = ImportJob(
        id=job_id, kind=kind, original_name=default_source_name(name)[:255], stored_path=str(stored),
        created_by=user,
    )
    try:
        job.encoding = detect_encoding(stored)
        outcome = file_process(
            kind=kind, path=stored, encoding=job.encoding, write=False, source_name=job.original_name
        )
    except FileRejected as exc:
        job.status = ImportStatus.REJECTED
        job.error = exc.message
        job.report = {"file_error": exc.message}
    except Exception as exc:
        # Whatever the file did to the reader, the user gets a page saying so
        # rather than an error page, and the job row records it.
        logger.exception("import job %s: checking %s failed", job_id, job.original_name)
        job.status = ImportStatus.REJECTED
        job.error = _("The file could not be checked: %(error)s") % {"error": exc}
        job.report = {"file_error": job.error}
    else:
        job.status = ImportStatus.VALIDATED
        job.report = outcome.report()
        job.total_rows = outcome.total_rows
        job.bad_rows = outcome.bad_rows
    job.save()
    return job


def import_job_queue(*, job, import_good_rows, now=None):
    """Record the go-ahead for a checked job. Returns False if it was no longer waiting.

    The caller enqueues contacts.tasks.import_job_run on commit.
    """
    if job.total_rows and job.bad_rows >= job.total_rows:
        raise ImportNotAllowed(_("Every row of this file has a problem, so there is nothing to import."))
    if job.bad_rows and not import_good_rows:
        raise ImportNotAllowed(_(
            "This file has %(count)d bad rows. Tick 'import only the good rows' or fix the file and upload it again."
        ) % {"count": job.bad_rows})
    now = now or timezone.now()
    return ImportJob.objects.filter(pk=job.pk, status=ImportStatus.VALIDATED).update(
        status=ImportStatus.QUEUED, import_good_rows=import_good_rows, lease_until=now + QUEUE_DEADLINE,
    ) == 1


def import_job_run(*, job_id):
    """Claim a queued job and import its file. Returns the job, or None if someone else has it."""
    now = timezone.now()
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=now, finished_at=None, lease_until=now + _run_lease(), error="",
    )
    if claimed != 1:
        logger.info("import job %s: not queued any more, nothing to do", job_id)
        return None
    job = ImportJob.objects.get(pk=job_id)
    attempts = int(job.result.get("attempts", 0)) + 1
    ImportJob.objects.filter(pk=job_id).update(result={"attempts": attempts})
    try:
        with transaction.atomic():
            # Holding the row lock for the whole run tells the sweep (which
            # skips locked rows) that a live worker owns this job.
            ImportJob.objects.select_for_update().filter(pk=job_id).first()
            outcome = file_process(
                kind=job.kind, path=job.stored_path, encoding=job.encoding, write=True,
                good_rows_only=job.import_good_rows, source_name=job.original_name, now=now,
            )
            if outcome.bad_rows and not job.import_good_rows:
                raise BadRowsFound(outcome)
            finished = ImportJob.objects.filter(pk=job_id, status=ImportStatus.RUNNING).update(
                status=ImportStatus.DONE, finished_at=timezone.now(), lease_until=None,
                result={**outcome.result(), "attempts": attempts}, report=outcome.report(),
                total_rows=outcome.total_rows, bad_rows=outcome.bad_rows,
            )
            if finished != 1:
                raise RuntimeError("import job was taken away while running")
    except BadRowsFound as exc:
        outcome = exc.args[0]
        _job_fail(job_id, attempts, _(
            "The file now has %(count)d bad rows (the data changed since it was checked). Nothing was imported."
        ) % {"count": outcome.bad_rows}, report=outcome.report(), bad_rows=outcome.bad_rows)
    except FileRejected as exc:
        _job_fail(job_id, attempts, exc.message)
    except TRANSIENT_ERRORS as exc:
        logger.warning("import job %s: transient database error on attempt %d: %s", job_id, attempts, exc)
        try:
            _job_retry_later(job_id, attempts, str(exc))
        except TRANSIENT_ERRORS:
            # The database is still away; the lease expiry brings the sweep back to it.
            logger.exception("import job %s: could not record the retry", job_id)
            return None
    except Exception as exc:
        logger.exception("import job %s failed", job_id)
        _job_fail(job_id, attempts, _("The import failed and nothing was imported: %(error)s") % {"error": exc})
    return ImportJob.objects.get(pk=job_id)


def _job_fail(job_id, attempts, message, **extra):
    ImportJob.objects.filter(pk=job_id, status=ImportStatus.RUNNING).update(
        status=ImportStatus.FAILED, error=message, finished_at=timezone.now(), lease_until=None,
        result={"attempts": attempts}, **extra,
    )


def _job_retry_later(job_id, attempts, message):
    """Back to QUEUED with a growing pick-up deadline; the sweep re-enqueues it then."""
    if attempts >= MAX_ATTEMPTS:
        _job_fail(job_id, attempts, _("The import failed %(count)d times and was given up: %(error)s") % {
            "count": attempts, "error": message})
        return
    ImportJob.objects.filter(pk=job_id, status=ImportStatus.RUNNING).update(
        status=ImportStatus.QUEUED, error=message,
        lease_until=timezone.now() + QUEUE_DEADLINE * (2 ** (attempts - 1)),
    )


def import_jobs_sweep(*, now=None):
    """Revive stuck jobs; returns the ids to enqueue (at most SWEEP_BATCH of each sort).

    QUEUED past the pick-up deadline: the message was probably lost.
    RUNNING past the lease: the worker is dead and its transaction rolled
    back. On PostgreSQL a job whose import transaction is still open is
    locked and skipped.
    """
    now = now or timezone.now()
    revived = []
    with transaction.atomic():
        stale_running = list(
            ImportJob.objects.select_for_update(skip_locked=True)
            .filter(status=ImportStatus.RUNNING, lease_until__lt=now)
            .values_list("pk", "result")[:SWEEP_BATCH]
        )
        for job_id, result in stale_running:
            attempts = int((result or {}).get("attempts", 0))
            if attempts >= MAX_ATTEMPTS:
                _job_fail(job_id, attempts, _("The import was interrupted %(count)d times and was given up.") % {
                    "count": attempts})
            else:
                revived.append(job_id)
        ImportJob.objects.filter(pk__in=revived, status=ImportStatus.RUNNING).update(
            status=ImportStatus.QUEUED, lease_until=now + QUEUE_DEADLINE)
    stale_queued = list(
        ImportJob.objects.filter(Q(lease_until__lt=now) | Q(lease_until__isnull=True), status=ImportStatus.QUEUED)
        .order_by("lease_until").values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    # Push the deadline on so the next sweep does not enqueue them again
    # while these messages are on their way.
    ImportJob.objects.filter(pk__in=stale_queued, status=ImportStatus.QUEUED).update(
        lease_until=now + QUEUE_DEADLINE)
    return revived + stale_queued


def import_file_run(*, kind, path, encoding=None, good_rows_only=False, max_errors=None, now=None):
    """Import a whole file in one transaction (the management command and the bench).

    Returns the FileOutcome; `imported` is False when bad rows stopped it.
    Raises FileRejected for a file that can't be read at all.
    """
    encoding = encoding or detect_encoding(path)
    options = {} if max_errors is None else {"max_errors": max_errors}
    try:
        with transaction.atomic():
            outcome = file_process(
                kind=kind, path=path, encoding=encoding, write=True, good_rows_only=good_rows_only,
                source_name=default_source_name(path), now=now, **options,
            )
            if outcome.bad_rows and not good_rows_only:
                raise BadRowsFound(outcome)
    except BadRowsFound as exc:
        outcome = exc.args[0]
        outcome.imported = False
    return outcome


__all__ = [
    "FileOutcome", "import_file_run", "import_job_create", "import_job_queue", "import_job_run",
    "import_jobs_sweep",
]
