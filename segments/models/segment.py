from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Segment(models.Model):
    """A marketer's saved rule tree (see `segments.rules`) and its last snapshot.

    The definition is validated JSON; change it only through the services,
    which re-validate it. Members are computed from it on demand; the
    SegmentMembership rows are the snapshot of the last refresh.
    """

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # {"op": "and"|"or", "items": [condition | group]}
    definition = models.JSONField(_("rules"), default=dict)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("created by"),
    )
    member_count = models.PositiveIntegerField(_("members at last refresh"), null=True, blank=True)
    refreshed_at = models.DateTimeField(_("last refresh"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self):
        return self.name


class SegmentMembership(models.Model):
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="memberships")
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="segment_memberships")
    entered_at = models.DateTimeField(_("entered"))

    class Meta:
        verbose_name = _("segment membership")
        verbose_name_plural = _("segment memberships")
        constraints = [models.UniqueConstraint(fields=["segment", "contact"], name="segment_membership_unique")]

    def __str__(self):
        return f"{self.segment_id}:{self.contact_id}"


class ChangeKind(models.TextChoices):
    ENTER = "enter", _("Entered")
    LEAVE = "leave", _("Left")


class SegmentChange(models.Model):
    """One contact entering or leaving a segment in one refresh run."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="changes")
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="segment_changes")
    kind = models.CharField(_("change"), max_length=10, choices=ChangeKind.choices)
    at = models.DateTimeField(_("at"))
    run_id = models.UUIDField(_("run"))

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("segment change")
        verbose_name_plural = _("segment changes")
        indexes = [
            models.Index(fields=["segment", "at"], name="segment_change_segment_at"),
            models.Index(fields=["run_id", "kind"], name="segment_change_run_kind"),
        ]

    def __str__(self):
        return f"{self.segment_id}:{self.contact_id} {self.kind}"
