"""CSV import pages: upload, preview with validation report, confirm, status."""
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.roles import Role, role_required
from contacts.forms import ImportConfirmForm, ImportUploadForm
from contacts.importing.decoding import encoding_label
from contacts.importing.errors import ImportNotAllowed
from contacts.importing.selectors import import_jobs_recent
from contacts.importing.services import import_job_create, import_job_queue
from contacts.models import ImportJob, ImportStatus
from contacts.tasks import import_job_enqueue

IN_FLIGHT = (ImportStatus.QUEUED, ImportStatus.RUNNING)


@role_required(Role.ADMIN, Role.MARKETER)
def import_list(request):
    page = Paginator(import_jobs_recent(), 50).get_page(request.GET.get("page"))
    return render(request, "contacts/imports/list.html", {"nav": "imports", "page": page})


@role_required(Role.ADMIN, Role.MARKETER)
def import_new(request):
    posted = request.method == "POST"
    form = ImportUploadForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        job = import_job_create(
            kind=form.cleaned_data["kind"], uploaded_file=form.cleaned_data["file"], user=request.user
        )
        return redirect("contacts:import_detail", pk=job.pk)
    return render(request, "contacts/imports/new.html", {"nav": "imports", "form": form})


@role_required(Role.ADMIN, Role.MARKETER)
def import_detail(request, pk):
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=pk)
    form = None
    if job.status == ImportStatus.VALIDATED and job.bad_rows < job.total_rows:
        # An empty POST (no checkbox on a clean file) is still a submission.
        form = ImportConfirmForm(request.POST if request.method == "POST" else None, job=job)
        if request.method == "POST" and form.is_valid():
            try:
                queued = import_job_queue(job=job, import_good_rows=form.cleaned_data.get("import_good_rows", False))
            except ImportNotAllowed as exc:
                messages.error(request, str(exc))
            else:
                if queued:
                    import_job_enqueue(job.pk)
                return redirect("contacts:import_detail", pk=job.pk)
    elif request.method == "POST":
        messages.info(request, _("This import was already confirmed."))
        return redirect("contacts:import_detail", pk=job.pk)
    report = job.report or {}
    context = {
        "nav": "imports",
        "job": job,
        "form": form,
        "refresh": job.status in IN_FLIGHT,
        "encoding": encoding_label(job.encoding) if job.encoding else "",
        "columns": report.get("columns", []),
        "preview": report.get("preview", []),
        "errors": report.get("errors", []),
        "error_count": report.get("error_count", 0),
        "good_rows": max(job.total_rows - job.bad_rows, 0),
    }
    return render(request, "contacts/imports/detail.html", context)
