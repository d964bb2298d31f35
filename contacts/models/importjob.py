import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    CONTACTS = "contacts", _("Contacts")
    EVENTS = "events", _("Touch events")
    CONTRACTS = "contracts", _("Contracts")


class ImportStatus(models.TextChoices):
    VALIDATED = "validated", _("Checked, waiting for confirmation")
    REJECTED = "rejected", _("File rejected")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One uploaded CSV file on its way from preview to import."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=ImportKind.choices)
    original_name = models.CharField(_("file"), max_length=255)
    stored_path = models.CharField(max_length=500)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.VALIDATED)
    import_good_rows = models.BooleanField(_("import only the good rows"), default=False)
    total_rows = models.PositiveIntegerField(default=0)
    bad_rows = models.PositiveIntegerField(default=0)
    # {"columns": [...], "mapping": {...}, "preview": [[...]], "errors": [...], "file_error": str}
    report = models.JSONField(default=dict, blank=True)
    # {"created": n, "updated": n, "skipped": n, "unchanged": n}
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self):
        return f"{self.kind}: {self.original_name}"
