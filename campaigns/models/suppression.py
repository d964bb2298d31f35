from django.db import models
from django.utils.translation import gettext_lazy as _


class SuppressionReason(models.TextChoices):
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    BOUNCED = "bounced", _("Hard bounce")
    COMPLAINED = "complained", _("Spam complaint")
    MANUAL = "manual", _("Added by a user")


class Suppression(models.Model):
    """An address that must receive no marketing mail, whatever its contact row says.

    Keyed by the normalised email (contacts.rules.normalize_email), so it
    survives the contact being deleted and re-imported.
    """

    email = models.EmailField(_("email"), max_length=254, unique=True)
    reason = models.CharField(_("reason"), max_length=20, choices=SuppressionReason.choices)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("suppressed at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")

    def __str__(self):
        return f"{self.email} ({self.reason})"
