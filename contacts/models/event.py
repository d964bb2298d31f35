from django.db import models
from django.utils.translation import gettext_lazy as _


class TouchKind(models.TextChoices):
    EMAIL_OPEN = "email_open", _("Email open")
    EMAIL_CLICK = "email_click", _("Email click")
    PAGE_VIEW = "page_view", _("Page view")
    FORM_SUBMIT = "form_submit", _("Form submit")
    DOWNLOAD = "download", _("Download")
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    CARD_EXCHANGE = "card_exchange", _("Business-card exchange")
    WEBINAR = "webinar", _("Webinar")
    REPLY = "reply", _("Reply")


class TouchSource(models.TextChoices):
    IMPORT = "import", _("CSV import")
    DEMO = "demo", _("Demo data")
    MANUAL = "manual", _("Entered by a user")
    TRACKING = "tracking", _("Tracking")
    API = "api", _("API")


class TouchEvent(models.Model):
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=TouchKind.choices)
    occurred_at = models.DateTimeField(_("occurred"))
    url = models.CharField(_("URL"), max_length=2000, blank=True)
    detail = models.CharField(_("detail"), max_length=1000, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=TouchSource.choices, default=TouchSource.MANUAL)
    flagged_as_bot = models.BooleanField(_("flagged as bot"), default=False)
    # sha256 of (contact, kind, occurred_at, url, detail): the same fact
    # imported twice is one row.
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name = _("touch event")
        verbose_name_plural = _("touch events")
        indexes = [
            models.Index(fields=["contact", "kind", "occurred_at"], name="event_contact_kind_time"),
            # Segment behaviour conditions ("viewed /pricing in the last 30
            # days") read a recent slice of one kind across all contacts: on
            # PostgreSQL this covering index answers them without touching the
            # table (SQLite ignores INCLUDE and keeps the key columns).
            models.Index(fields=["kind", "occurred_at"], include=["contact", "flagged_as_bot", "url"],
                         name="event_kind_time"),
        ]
        # A constraint rather than unique=True: on PostgreSQL the field flag
        # also builds a LIKE-pattern index nobody uses, on the biggest table.
        constraints = [models.UniqueConstraint(fields=["fingerprint"], name="event_fingerprint_unique")]

    def __str__(self):
        return f"{self.kind} @ {self.occurred_at:%Y-%m-%d %H:%M}"


class ContactTouchSummary(models.Model):
    """Latest counted (not bot-flagged) touch per contact and kind."""

    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="touch_summaries")
    kind = models.CharField(max_length=20, choices=TouchKind.choices)
    last_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contact", "kind"], name="touch_summary_contact_kind")]
        indexes = [models.Index(fields=["kind", "last_at"], name="touch_summary_kind_time")]

    def __str__(self):
        return f"{self.contact_id} {self.kind} {self.last_at}"
