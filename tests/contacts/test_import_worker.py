"""An import job through a real Celery worker process."""
import time

import pytest

from contacts import tasks
from contacts.importing.services import import_job_create, import_job_queue
from contacts.models import Contact, ImportJob, ImportStatus
from tests.worker import running_worker

from .test_import_helpers import english, write_csv  # noqa: F401 (autouse fixture)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_queued_job_is_imported_by_a_real_worker(tmp_path, settings):
    # No persona: transactional tests flush the role groups the personas need.
    settings.IMPORT_UPLOAD_DIR = tmp_path / "imports"
    path = write_csv(tmp_path / "c.csv", [["email", "company"], ["a@example.com", "株式会社テスト"]], encoding="cp932")
    job = import_job_create(kind="contacts", path=path, user=None)
    assert import_job_queue(job=job, import_good_rows=False)

    with running_worker() as queue:
        tasks.import_job_run.apply_async(args=[str(job.pk)], queue=queue)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING):
                break
            time.sleep(0.2)

    assert (job.status, job.error) == (ImportStatus.DONE, "")
    assert job.result == {"created": 1, "updated": 0, "unchanged": 0, "skipped": 0, "companies_created": 1,
                          "attempts": 1}
    assert Contact.objects.get().company.name == "株式会社テスト"
    assert ImportJob.objects.count() == 1
