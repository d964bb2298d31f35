"""The web flow: upload → preview → confirm → job runs → result; and who may see it."""
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contacts.models import Contact, ImportJob, ImportStatus

from .test_import_helpers import csv_text, english, upload_dir  # noqa: F401 (autouse / fixtures)

pytestmark = pytest.mark.usefixtures("upload_dir")


@pytest.fixture
def marketer_client(client, marketer):
    client.force_login(marketer)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def upload(client, kind, rows, *, name="list.csv", encoding="utf-8"):
    content = csv_text(rows).encode(encoding)
    return client.post(
        reverse("contacts:import_new"),
        {"kind": kind, "file": SimpleUploadedFile(name, content, content_type="text/csv")},
    )


def detail_url(job):
    return reverse("contacts:import_detail", kwargs={"pk": job.pk})


def test_marketer_uploads_previews_confirms_and_sees_the_result(
    marketer_client, marketer, upload_dir, django_capture_on_commit_callbacks  # noqa: F811
):
    Contact.objects.create(email="known@example.com", first_name="Old")
    rows = [
        ["Email", "last_name", "company", "status", "Region"],
        ["known@example.com", "山田", "株式会社テスト", "customer", "関東"],
        ["new@example.com", "鈴木", "株式会社テスト", "lead", ""],
        ["broken", "佐藤", "", "dormant", ""],
    ]

    response = upload(marketer_client, "contacts", rows, name="展示会.csv", encoding="cp932")

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(job)
    assert (job.status, job.encoding, job.total_rows, job.bad_rows, job.original_name, job.created_by) == (
        ImportStatus.VALIDATED, "cp932", 3, 1, "展示会.csv", marketer)
    assert Path(job.stored_path) == upload_dir / f"{job.pk}.csv"
    assert Path(job.stored_path).read_bytes() == csv_text(rows).encode("cp932")

    page = marketer_client.get(detail_url(job)).content.decode()
    assert "Shift_JIS (CP932)" in page
    assert "<td>4</td><td>email</td><td>&#x27;broken&#x27; is not a valid email address.</td>" in page
    assert "<td>4</td><td>status</td><td>&#x27;dormant&#x27; is not an allowed value." in page
    assert "<td><code>region</code></td>\n      <td>custom attribute</td>" in page
    assert "株式会社テスト" in page  # the preview rows
    assert "Nothing will be imported until the file is fixed" in page
    assert Contact.objects.count() == 1

    refused = marketer_client.post(detail_url(job), {})
    assert refused.status_code == 200
    assert "This file has 1 bad rows. Nothing will be imported until the file is fixed" in refused.content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.VALIDATED
    assert Contact.objects.count() == 1

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        confirmed = marketer_client.post(detail_url(job), {"import_good_rows": "on"})

    assert confirmed.status_code == 302
    assert len(callbacks) == 2  # the job's doorbell, then the import's "these contacts changed" notice
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert job.import_good_rows is True
    assert job.result == {
        "created": 1, "updated": 1, "unchanged": 0, "skipped": 1, "companies_created": 1, "attempts": 1,
    }
    assert sorted(Contact.objects.values_list("email", "last_name")) == [
        ("known@example.com", "山田"), ("new@example.com", "鈴木")]
    done = marketer_client.get(detail_url(job)).content.decode()
    assert '<td class="text-end" data-count="created">1</td>' in done
    assert '<td class="text-end" data-count="updated">1</td>' in done
    assert '<td class="text-end" data-count="skipped">1</td>' in done
    assert 'http-equiv="refresh"' not in done


def test_clean_file_imports_without_ticking_anything(marketer_client, django_capture_on_commit_callbacks):
    upload(marketer_client, "contacts", [["email"], ["a@example.com"], ["b@example.com"]])
    job = ImportJob.objects.get()
    assert "Import 2 rows" in marketer_client.get(detail_url(job)).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        marketer_client.post(detail_url(job), {})

    job.refresh_from_db()
    assert (job.status, job.result["created"], job.result["skipped"]) == (ImportStatus.DONE, 2, 0)


def test_queued_job_page_refreshes_itself(marketer_client, django_capture_on_commit_callbacks):
    upload(marketer_client, "contacts", [["email"], ["a@example.com"]])
    job = ImportJob.objects.get()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        marketer_client.post(detail_url(job), {})

    job.refresh_from_db()
    assert job.status == ImportStatus.QUEUED
    assert len(callbacks) == 1
    page = marketer_client.get(detail_url(job)).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page
    assert Contact.objects.count() == 0


def test_a_second_confirmation_does_not_enqueue_again(marketer_client, django_capture_on_commit_callbacks):
    upload(marketer_client, "contacts", [["email"], ["a@example.com"]])
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        marketer_client.post(detail_url(job), {})

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = marketer_client.post(detail_url(job), {})

    assert response.status_code == 302
    assert callbacks == []
    assert Contact.objects.count() == 1


def test_rejected_file_shows_why_and_offers_no_import(marketer_client):
    response = marketer_client.post(
        reverse("contacts:import_new"),
        {"kind": "events", "file": SimpleUploadedFile("e.csv", b"email;kind;occurred_at\n", content_type="text/csv")},
    )

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert job.status == ImportStatus.REJECTED
    page = marketer_client.get(detail_url(job)).content.decode()
    assert "This file seems to be separated by &#x27;;&#x27;, not commas." in page
    assert 'id="import-confirm"' not in page


def test_file_over_the_size_limit_is_refused_in_the_form(marketer_client, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 20

    response = upload(marketer_client, "contacts", [["email"], ["a-long-address@example.com"]])

    assert response.status_code == 200
    assert "This file is 35\xa0bytes; files can be at most 20\xa0bytes." in response.context["form"].errors["file"][0]
    assert ImportJob.objects.count() == 0


def test_file_where_every_row_is_bad_cannot_be_confirmed(marketer_client, django_capture_on_commit_callbacks):
    upload(marketer_client, "contacts", [["email"], ["nope"]])
    job = ImportJob.objects.get()

    page = marketer_client.get(detail_url(job)).content.decode()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        marketer_client.post(detail_url(job), {"import_good_rows": "on"})

    assert "Every row of this file has a problem" in page
    assert callbacks == []
    job.refresh_from_db()
    assert job.status == ImportStatus.VALIDATED


def test_list_shows_past_imports(marketer_client):
    upload(marketer_client, "contacts", [["email"], ["a@example.com"]], name="first.csv")
    upload(marketer_client, "events", [["email"], ["a@example.com"]], name="second.csv")

    response = marketer_client.get(reverse("contacts:import_list"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "first.csv" in page and "second.csv" in page
    assert page.index("second.csv") < page.index("first.csv")


def test_error_list_is_capped_with_the_total(marketer_client):
    upload(marketer_client, "contacts", [["email"]] + [[f"bad{n}"] for n in range(250)])
    job = ImportJob.objects.get()

    page = marketer_client.get(detail_url(job)).content.decode()

    assert len(job.report["errors"]) == 200
    assert job.report["error_count"] == 250
    assert "Showing the first 200 of 250 problems." in page


@pytest.mark.parametrize("name", ["contacts:import_list", "contacts:import_new", "contacts:import_detail"])
def test_rep_is_forbidden_and_anonymous_is_sent_to_login(client, rep, marketer, name, tmp_path):
    job = ImportJob.objects.create(kind="contacts", original_name="x.csv", stored_path=str(tmp_path / "x.csv"))
    url = reverse(name, kwargs={"pk": job.pk} if name == "contacts:import_detail" else None)

    anonymous = client.get(url)
    client.force_login(rep)
    as_rep_get = client.get(url)
    as_rep_post = client.post(url, {"import_good_rows": "on"})

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))
    assert (as_rep_get.status_code, as_rep_post.status_code) == (403, 403)
    job.refresh_from_db()
    assert job.status == ImportStatus.VALIDATED
