"""What sequences and playbooks need beyond Campaign and CampaignStep: settings, timelines, rescue options.

A playbook runs one timeline per contract (PlaybookTimeline): it remembers
the lapse date the phases were placed on (a later date means the contract
was renewed) and carries the opaque token of the public rescue-options page.
"""
from django.db import models
from django.utils.translation import gettext_lazy as _


class DeadlineRule(models.TextChoices):
    BEFORE_LAPSE = "before_lapse", _("days before the lapse date")
    AFTER_NOTICE = "after_notice", _("days after the notice")


class FlowSettings(models.Model):
    """Per sequence or playbook: the settings Campaign has no column for, and the enrolment cursor."""

    campaign = models.OneToOneField("campaigns.Campaign", on_delete=models.CASCADE, primary_key=True,
                                    related_name="flow")
    # Playbook target: every active contract (else the contracts of the campaign's segment members).
    all_active_contracts = models.BooleanField(_("all active contracts"), default=False)
    lapse_text = models.TextField(_("what lapses"), blank=True,
                                  help_text=_("Shown on the options page: what the customer loses on the lapse date."))
    deadline_rule = models.CharField(_("deadline"), max_length=20, choices=DeadlineRule.choices,
                                     default=DeadlineRule.BEFORE_LAPSE)
    deadline_days = models.PositiveSmallIntegerField(_("deadline days"), default=1)
    # Sequences: id of the last SegmentChange / TouchEvent read by enrolment (rows are read once).
    cursor = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("sequence or playbook settings")
        verbose_name_plural = _("sequence and playbook settings")

    def __str__(self):
        return f"flow {self.campaign_id}"


class PlaybookTimeline(models.Model):
    """One contract's walk through a playbook: its lapse date when enrolled and its options-page token."""

    enrollment = models.OneToOneField("campaigns.Enrollment", on_delete=models.CASCADE, primary_key=True,
                                      related_name="timeline")
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="timelines")
    contract = models.ForeignKey("contacts.Contract", on_delete=models.CASCADE, related_name="timelines")
    lapse_date = models.DateField(_("lapse date"))
    token = models.CharField(max_length=32, unique=True)

    class Meta:
        verbose_name = _("playbook timeline")
        verbose_name_plural = _("playbook timelines")
        constraints = [models.UniqueConstraint(fields=["campaign", "contract"], name="timeline_once_per_contract")]

    def __str__(self):
        return f"{self.campaign_id}:{self.contract_id}"


class RescueOptionKind(models.TextChoices):
    RENEW = "renew", _("Renew")
    REDUCED = "reduced", _("Reduced or temporary plan")
    EXTENSION = "extension", _("Short extension")


class RescueOption(models.Model):
    """One choice offered on a playbook's options page."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="rescue_options")
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=20, choices=RescueOptionKind.choices)
    label = models.CharField(_("label"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["campaign", "position"]
        verbose_name = _("rescue option")
        verbose_name_plural = _("rescue options")
        constraints = [models.UniqueConstraint(fields=["campaign", "position"], name="rescue_option_position_unique")]

    def __str__(self):
        return self.label


class RescueChoice(models.Model):
    """The option a customer chose for one contract in one playbook: recorded once."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="rescue_choices")
    contract = models.ForeignKey("contacts.Contract", on_delete=models.CASCADE, related_name="rescue_choices")
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="rescue_choices")
    option = models.ForeignKey(RescueOption, on_delete=models.PROTECT, related_name="choices")
    chosen_at = models.DateTimeField(_("chosen"))

    class Meta:
        ordering = ["-chosen_at", "-id"]
        verbose_name = _("rescue choice")
        verbose_name_plural = _("rescue choices")
        constraints = [models.UniqueConstraint(fields=["campaign", "contract"], name="rescue_choice_once")]

    def __str__(self):
        return f"{self.contract_id}: {self.option_id}"
