from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DormancyRuleVersion(models.Model):
    """One saved state of a rule: numbered from 1, never edited afterwards."""

    rule = models.ForeignKey("dormancy.DormancyRule", on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    snapshot = models.JSONField(_("definition"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("changed by"),
    )
    created_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["rule", "-number"]
        verbose_name = _("dormancy rule version")
        verbose_name_plural = _("dormancy rule versions")
        constraints = [
            models.UniqueConstraint(fields=["rule", "number"], name="dormancy_rule_version_number"),
        ]

    def __str__(self):
        return f"{self.rule_id} v{self.number}"
