"""Lead scoring as data: the rules that give points, the workspace settings, and each contact's score."""
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from contacts.models import ContactStatus, TouchKind


class RuleKind(models.TextChoices):
    TOUCH = "touch", _("Touch")
    ATTRIBUTE = "attribute", _("Attribute")


class AttributeField(models.TextChoices):
    """The allow-list of attribute tests a rule can make; each maps to fixed SQL in rules.py."""

    IS_DECISION_MAKER = "is_decision_maker", _("Is a decision maker")
    STATUS = "status", _("Status equals")
    EMPLOYEES_AT_LEAST = "employees_at_least", _("Company employees at least")
    TAG = "tag", _("Has tag")


class ScoringRule(models.Model):
    """Points for a touch (decayed with age) or for an attribute the contact has now."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=RuleKind.choices, default=RuleKind.TOUCH)
    touch_kind = models.CharField(_("touch kind"), max_length=20, choices=TouchKind.choices, blank=True)
    url_contains = models.CharField(_("URL contains"), max_length=200, blank=True,
                                    help_text=_("Optional, ignores case, e.g. /pricing"))
    attribute = models.CharField(_("attribute"), max_length=30, choices=AttributeField.choices, blank=True)
    # The status or tag name an attribute rule compares with.
    value = models.CharField(_("value"), max_length=100, blank=True)
    min_employees = models.PositiveIntegerField(_("minimum employees"), null=True, blank=True)
    points = models.IntegerField(_("points"), validators=[MinValueValidator(-1000), MaxValueValidator(1000)])
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "name", "id"]
        verbose_name = _("scoring rule")
        verbose_name_plural = _("scoring rules")

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.kind == RuleKind.TOUCH:
            if not self.touch_kind:
                errors["touch_kind"] = _("Choose the touch kind this rule scores.")
            self.attribute, self.value, self.min_employees = "", "", None
        else:
            self.touch_kind, self.url_contains = "", ""
            if not self.attribute:
                errors["attribute"] = _("Choose the attribute this rule tests.")
            elif self.attribute == AttributeField.STATUS and self.value not in ContactStatus.values:
                errors["value"] = _("Enter one of: %(values)s.") % {"values": ", ".join(ContactStatus.values)}
            elif self.attribute == AttributeField.TAG and not self.value.strip():
                errors["value"] = _("Enter the tag name.")
            elif self.attribute == AttributeField.EMPLOYEES_AT_LEAST and self.min_employees is None:
                errors["min_employees"] = _("Enter the minimum number of employees.")
            if self.attribute != AttributeField.EMPLOYEES_AT_LEAST:
                self.min_employees = None
            if self.attribute in (AttributeField.IS_DECISION_MAKER, AttributeField.EMPLOYEES_AT_LEAST):
                self.value = ""
        if errors:
            raise ValidationError(errors)


class ScoringSettings(models.Model):
    """The workspace's one row of scoring settings (load with `ScoringSettings.load()`)."""

    half_life_days = models.PositiveIntegerField(
        _("decay half-life (days)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=_("A touch this many days old counts for half its points."),
    )
    hot_threshold = models.FloatField(_("hot-lead score threshold"), default=50,
                                      validators=[MinValueValidator(0)])
    # A segment rule tree (segments.rules.validate_definition); when set, a hot
    # lead must also match it.
    hot_rule = models.JSONField(_("hot-lead rules"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("scoring settings")
        verbose_name_plural = _("scoring settings")

    def __str__(self):
        return str(self._meta.verbose_name)

    @classmethod
    def load(cls):
        return cls.objects.get_or_create(pk=1)[0]


class ContactScore(models.Model):
    """A contact's current score; no row means a score of 0.

    `reasons` holds the top contributing rules: [{"rule": id, "name": str, "points": float}].
    """

    contact = models.OneToOneField("contacts.Contact", primary_key=True, on_delete=models.CASCADE,
                                   related_name="score")
    score = models.FloatField(_("score"), default=0)
    computed_at = models.DateTimeField(_("computed"))
    is_hot = models.BooleanField(_("hot lead"), default=False)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)

    class Meta:
        verbose_name = _("contact score")
        verbose_name_plural = _("contact scores")
        indexes = [models.Index(fields=["is_hot", "score"], name="contact_score_hot")]

    def __str__(self):
        return f"{self.contact_id}: {self.score:.1f}"

    @property
    def top_reasons(self):
        return sorted(self.reasons or [], key=lambda reason: (-reason["points"], reason["rule"]))
