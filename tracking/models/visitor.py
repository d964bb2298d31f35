"""Website visitors: browsers known to be a contact, and page views of those not known yet."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class VisitorIdentity(models.Model):
    """A browser (the visitor id in t.js's first-party cookie on one site) known to be a contact."""

    site = models.ForeignKey("tracking.TrackingSite", on_delete=models.CASCADE, related_name="visitors")
    visitor_id = models.CharField(max_length=40)
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="+")
    identified_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "visitor_id"], name="visitor_identity_unique")]

    def __str__(self):
        return f"{self.site_id}/{self.visitor_id} → {self.contact_id}"


class AnonymousPageView(models.Model):
    """A page view of a visitor not (yet) known; merged into the contact's touches when it becomes known.

    Kept for TRACKING_ANONYMOUS_RETENTION_DAYS, then pruned.
    """

    site = models.ForeignKey("tracking.TrackingSite", on_delete=models.CASCADE, related_name="anonymous_views")
    visitor_id = models.CharField(max_length=40)
    # The buffered record's id: a record drained twice (at-least-once) is one row.
    record_id = models.CharField(max_length=32)
    occurred_at = models.DateTimeField(_("occurred"))
    url = models.CharField(_("URL"), max_length=2000, blank=True)
    title = models.CharField(_("title"), max_length=500, blank=True)
    referrer = models.CharField(_("referrer"), max_length=2000, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=500, blank=True)
    flagged_as_bot = models.BooleanField(_("flagged as bot"), default=False)

    class Meta:
        ordering = ["-occurred_at"]
        constraints = [models.UniqueConstraint(fields=["record_id"], name="anonymous_view_record_unique")]
        indexes = [models.Index(fields=["site", "visitor_id"], name="anonymous_view_visitor"),
                   models.Index(fields=["occurred_at"], name="anonymous_view_time")]

    def __str__(self):
        return f"{self.visitor_id} {self.url}"
