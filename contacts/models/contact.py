from datetime import UTC, date, datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Lower
from django.utils.translation import gettext_lazy as _

from contacts.rules import normalize_email

# Sort keys of the contact list: a contact never touched (or with no known
# acquisition date) sorts as if it were the distant past. Expressed as
# expressions rather than NULLS LAST so one index serves both directions on
# PostgreSQL and SQLite alike (SQLite has no NULLS LAST in CREATE INDEX).
LAST_TOUCH_ORDER = Coalesce("last_touch_at", Value(datetime(1, 1, 1, tzinfo=UTC)))
ACQUIRED_ORDER = Coalesce("acquired_at", Value(date(1, 1, 1)))


class ContactStatus(models.TextChoices):
    LEAD = "lead", _("Lead")
    OPPORTUNITY = "opportunity", _("Opportunity")
    CUSTOMER = "customer", _("Customer")
    FORMER_CUSTOMER = "former_customer", _("Former customer")
    LOST = "lost", _("Lost")


class LostReason(models.TextChoices):
    PENDING = "pending", _("Pending (priority dropped)")
    COMPETITOR = "competitor", _("Chose a competitor")
    FORGOTTEN = "forgotten", _("Forgot about us")
    OTHER = "other", _("Other")


class ConsentState(models.TextChoices):
    OPT_IN = "opt_in", _("Opted in")
    NONE = "none", _("No consent recorded")
    OPTED_OUT = "opted_out", _("Opted out")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Contact(models.Model):
    company = models.ForeignKey(
        "contacts.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts",
        verbose_name=_("company"),
    )
    email = models.CharField(_("email"), max_length=254, unique=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    first_name_kana = models.CharField(_("first name (kana)"), max_length=100, blank=True)
    last_name_kana = models.CharField(_("last name (kana)"), max_length=100, blank=True)
    title = models.CharField(_("title"), max_length=150, blank=True)
    is_decision_maker = models.BooleanField(_("decision maker"), default=False)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="owned_contacts", verbose_name=_("owner"),
    )
    status = models.CharField(_("status"), max_length=20, choices=ContactStatus.choices, default=ContactStatus.LEAD)
    lost_reason = models.CharField(_("lost reason"), max_length=20, choices=LostReason.choices, blank=True)
    deal_stage = models.CharField(_("deal stage"), max_length=100, blank=True)
    deal_stage_changed_at = models.DateField(_("deal stage changed"), null=True, blank=True)
    acquired_at = models.DateField(_("acquired"), null=True, blank=True)
    consent = models.CharField(_("consent"), max_length=20, choices=ConsentState.choices, default=ConsentState.NONE)
    consent_source = models.CharField(_("consent source"), max_length=200, blank=True)
    consent_at = models.DateTimeField(_("consent recorded"), null=True, blank=True)
    tags = models.ManyToManyField("contacts.Tag", blank=True, related_name="contacts", verbose_name=_("tags"))
    attributes = models.JSONField(_("custom attributes"), default=dict, blank=True)
    # Latest counted touch of any kind, maintained as events arrive (see
    # ContactTouchSummary for the per-kind values) so "last touch" is a column.
    last_touch_at = models.DateTimeField(_("last touch"), null=True, blank=True)
    last_touch_kind = models.CharField(_("last touch kind"), max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["status"]),
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["lost_reason"]),
            models.Index(fields=["last_touch_at"]),
            models.Index(fields=["last_name", "first_name"]),
            models.Index(fields=["consent"]),
            models.Index(LAST_TOUCH_ORDER.desc(), F("id").desc(), name="contact_last_touch_order"),
            # The list filtered by status (dashboard tiles) or owner (a rep's
            # own contacts), latest touch first: both correlate with touch
            # recency, so a filter on the plain order index would scan far.
            models.Index(F("status"), LAST_TOUCH_ORDER.desc(), F("id").desc(), name="contact_status_touch_order"),
            models.Index(F("owner"), LAST_TOUCH_ORDER.desc(), F("id").desc(), name="contact_owner_touch_order"),
            models.Index(ACQUIRED_ORDER.desc(), F("id").desc(), name="contact_acquired_order"),
        ]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="contact_email_ci_unique"),
        ]

    def __str__(self):
        return self.full_name or self.email

    def save(self, *args, **kwargs):
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)

    @property
    def full_name(self):
        # Japanese order: family name first.
        return " ".join(part for part in (self.last_name, self.first_name) if part)

    @property
    def full_name_kana(self):
        return " ".join(part for part in (self.last_name_kana, self.first_name_kana) if part)
