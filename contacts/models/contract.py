from django.db import models
from django.utils.translation import gettext_lazy as _


class ContractStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    RENEWED = "renewed", _("Renewed")
    LAPSED = "lapsed", _("Lapsed")
    CANCELLED = "cancelled", _("Cancelled")


class Contract(models.Model):
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="contracts")
    external_id = models.CharField(_("contract id"), max_length=100)
    plan = models.CharField(_("plan"), max_length=200, blank=True)
    starts_at = models.DateField(_("starts"), null=True, blank=True)
    expires_at = models.DateField(_("lapse date"), db_index=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ContractStatus.choices, default=ContractStatus.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["expires_at"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.UniqueConstraint(fields=["contact", "external_id"], name="contract_external_id_per_contact"),
        ]
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self):
        return f"{self.external_id} ({self.plan})" if self.plan else self.external_id

    def days_left(self, today):
        return (self.expires_at - today).days
