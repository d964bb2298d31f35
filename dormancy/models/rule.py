from django.db import models
from django.utils.translation import gettext_lazy as _


class ConditionMatch(models.TextChoices):
    ANY = "any", _("Any condition")
    ALL = "all", _("All conditions")


class ConditionType(models.TextChoices):
    STATUS_IN = "status_in", _("Status is one of")
    DEAL_STAGE_UNCHANGED_DAYS = "deal_stage_unchanged_days", _("Deal stage unchanged for N days")
    LOST = "lost", _("Deal lost")


class ScopeField(models.TextChoices):
    """Attributes a rule can be scoped by; `attribute:<key>` adds custom attributes."""

    INDUSTRY = "industry", _("Industry")
    STATUS = "status", _("Status")
    LOST_REASON = "lost_reason", _("Lost reason")
    OWNER = "owner", _("Owner")
    TITLE = "title", _("Title")
    COMPANY_SIZE_MIN = "company_size_min", _("Company size at least")
    COMPANY_SIZE_MAX = "company_size_max", _("Company size at most")


ATTRIBUTE_PREFIX = "attribute:"


class ScopeOp(models.TextChoices):
    EQ = "eq", _("equals")
    IN = "in", _("is one of")


class DormancyRule(models.Model):
    """Who counts as dormant: silence for `inactivity_days`, plus conditions and a scope.

    The definition lives in JSON validated by `dormancy.rules.validate_rule_definition`;
    change it only through the services so every change leaves a version behind.
    """

    # The fields a version snapshot holds. The slug is the rule's identity
    # (commands and segments name rules by it) and never changes after creation.
    EDITABLE_FIELDS = ("name", "inactivity_days", "touch_kinds", "conditions", "scope", "is_active")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    inactivity_days = models.PositiveIntegerField(_("inactivity threshold (days)"))
    # TouchKind values that count as a touch for this rule.
    touch_kinds = models.JSONField(_("touch kinds that count"), default=list)
    # {"match": "any"|"all", "items": [{"type": ConditionType, ...}]}
    conditions = models.JSONField(_("extra conditions"), default=dict, blank=True)
    # [{"field": ScopeField | "attribute:<key>", "op": ScopeOp, "value": ...}], all must hold.
    scope = models.JSONField(_("scope"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The stored members (DormancyMembership): their number and the moment
    # they stand for. Maintained by dormancy.services, never edited by hand.
    member_count = models.PositiveIntegerField(_("members at last refresh"), null=True, blank=True)
    members_refreshed_at = models.DateTimeField(_("members refreshed"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("dormancy rule")
        verbose_name_plural = _("dormancy rules")

    def __str__(self):
        return self.name

    def definition(self):
        """The editable fields as plain data: what a version stores."""
        return {field: getattr(self, field) for field in self.EDITABLE_FIELDS}
