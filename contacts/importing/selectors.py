"""Read-only queries on import jobs."""
from contacts.models import ImportJob


def import_jobs_recent():
    return ImportJob.objects.select_related("created_by").defer("report").order_by("-created_at")
