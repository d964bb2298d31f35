from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DeliveryStatus(models.TextChoices):
    """queued → sending → sent | failed | suppressed | unknown (RELIABILITY.md)."""

    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SUPPRESSED = "suppressed", _("Not sent")
    UNKNOWN = "unknown", _("Unknown (interrupted)")


TERMINAL_STATUSES = (DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.SUPPRESSED, DeliveryStatus.UNKNOWN)


class SkipReason(models.TextChoices):
    NO_CONSENT = "no_consent", _("No consent on record")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    BOUNCED = "bounced", _("Address bounced")
    COMPLAINED = "complained", _("Complained")
    PAUSED = "paused", _("Paused by the recipient")
    TOPIC_OPT_OUT = "topic_opt_out", _("Opted out of this topic")
    FREQUENCY_CAP = "frequency_cap", _("Frequency cap reached")
    HOLDOUT = "holdout", _("Held out (control group)")
    NO_EMAIL = "no_email", _("No usable address")
    EXITED = "exited", _("Left the campaign")
    SMTP_REJECTED = "smtp_rejected", _("Refused by the mail server")
    RENDER_ERROR = "render_error", _("The template could not be rendered")


class Delivery(models.Model):
    """One message for one step to one contact (and, in playbooks, one contract): sent at most once.

    The unique constraints make a second row for the same (step, contact[,
    contract], occurrence) impossible; workers claim a row (queued → sending,
    with a lease) before talking to SMTP. `token` is the opaque id used in
    public links (unsubscribe, open, click); never the primary key.
    """

    step = models.ForeignKey("campaigns.CampaignStep", on_delete=models.PROTECT, related_name="deliveries")
    # Indexed by delivery_contact_sent (contact first) and the partial delivery_contract: every index here
    # is written twice per message (queued → sending → sent), so none is kept that another covers.
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="deliveries",
                                db_index=False)
    contract = models.ForeignKey("contacts.Contract", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="deliveries", db_index=False)
    # A recurring campaign's run number (0 for everything else).
    occurrence = models.PositiveIntegerField(default=0)
    status = models.CharField(_("status"), max_length=20, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.QUEUED)
    reason = models.CharField(_("reason"), max_length=20, choices=SkipReason.choices, blank=True)
    variant = models.CharField(_("variant"), max_length=1, default="A")
    scheduled_at = models.DateTimeField(_("due"))
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    token = models.CharField(max_length=32)  # unique: delivery_token (no LIKE index, it is only looked up whole)
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    to_email = models.EmailField(_("sent to"), blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The campaign report's answers, kept by reports.campaign_answers (never written here), so that a report
    # only groups rows instead of reading the touch history (see reports.reports_campaign for the definitions):
    # - report_touches: bits (reports_campaign.TOUCH_BITS) of what the recipient did within ATTRIBUTION_DAYS
    #   after sent_at; 0 until sent.
    # - report_listed: the Suppression reason of to_email when it went on the list within ATTRIBUTION_DAYS
    #   after sent_at, else "".
    # - report_came_back: the contact came back (REACTIVATION_KINDS touch or an alerts.Reactivation) within
    #   REACTIVATION_DAYS from scheduled_at; the holdout unit of a broadcast or newsletter's first step.
    # Database defaults too: deliveries are also written by raw INSERT … SELECT (campaigns.sending.materialize).
    report_touches = models.PositiveSmallIntegerField(default=0, db_default=0)
    report_listed = models.CharField(max_length=20, blank=True, default="", db_default="")
    report_came_back = models.BooleanField(default=False, db_default=False)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["step", "contact", "occurrence"], condition=Q(contract__isnull=True),
                                    name="delivery_once_per_contact"),
            models.UniqueConstraint(fields=["step", "contact", "contract", "occurrence"],
                                    condition=Q(contract__isnull=False), name="delivery_once_per_contract"),
            models.UniqueConstraint(fields=["token"], name="delivery_token"),
        ]
        # Partial where they can be: a row leaves the queue index when it is claimed and the lease index
        # when it is recorded, so a sent row costs fewer index entries.
        indexes = [
            models.Index(fields=["scheduled_at", "id"], condition=Q(status="queued"), name="delivery_due_queued"),
            models.Index(fields=["contact", "sent_at"], name="delivery_contact_sent"),
            # The sweeper's rows (few at any time); lease_until is deliberately not indexed, so beat's dispatch
            # stamp on a queued row (lease_until only) can be a HOT update in the room fillfactor leaves.
            models.Index(fields=["id"], condition=Q(status="sending"), name="delivery_sending"),
            models.Index(fields=["contract"], condition=Q(contract__isnull=False), name="delivery_contract"),
        ]

    def __str__(self):
        return f"delivery {self.pk} {self.status}"


class DeliveryLink(models.Model):
    """A link as it was in a sent message: the click endpoint redirects only to these."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="links")
    position = models.PositiveSmallIntegerField()
    url = models.URLField(max_length=2000)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["delivery", "position"], name="delivery_link_unique")]
