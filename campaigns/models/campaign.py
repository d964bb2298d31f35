from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class CampaignKind(models.TextChoices):
    BROADCAST = "broadcast", _("Broadcast (one send to a segment)")
    RECURRING = "recurring", _("Recurring newsletter")
    SEQUENCE = "sequence", _("Step sequence")
    PLAYBOOK = "playbook", _("Expiry-rescue playbook")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    FINISHED = "finished", _("Finished")
    CANCELLED = "cancelled", _("Cancelled")


class Campaign(models.Model):
    """A way of reaching people: what to send, to whom, when.

    Broadcast: one send to `segment` at `scheduled_at`. Recurring: a send to
    `segment` on `schedule` (cron-like, see campaigns.schedule). Sequence:
    contacts enter on `trigger` and walk the steps. Playbook: one timeline per
    contract, steps placed relative to its lapse date.
    """

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=CampaignKind.choices)
    status = models.CharField(_("status"), max_length=20, choices=CampaignStatus.choices,
                              default=CampaignStatus.DRAFT)
    sender = models.ForeignKey("campaigns.SenderProfile", on_delete=models.PROTECT, related_name="campaigns",
                               verbose_name=_("sender profile"))
    segment = models.ForeignKey("segments.Segment", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="campaigns", verbose_name=_("segment"))
    # Null: general marketing mail (only a full unsubscribe or a pause stops it).
    topic = models.ForeignKey("campaigns.MailTopic", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="campaigns", verbose_name=_("topic"))
    scheduled_at = models.DateTimeField(_("send at"), null=True, blank=True)
    # Recurring: "minute hour day-of-month month day-of-week", workspace time zone.
    schedule = models.CharField(_("schedule"), max_length=100, blank=True)
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True)
    # Sequence entry: {"type": "segment_enter"} or {"type": "touch", "kind": K, "url_contains": P}.
    trigger = models.JSONField(_("entry trigger"), default=dict, blank=True)
    # Sequence exits: any of "reply", "meeting", "active", "left_segment", "unsubscribed".
    exit_on = models.JSONField(_("exit when"), default=list, blank=True)
    allow_reentry = models.BooleanField(_("allow re-entry"), default=False)
    holdout_percent = models.PositiveSmallIntegerField(
        _("holdout (%)"), default=0, validators=[MaxValueValidator(50)],
        help_text=_("Share of contacts kept out of the campaign, at random but reproducibly, to measure lift."))
    # Share of recipients that get variant B where a step has one.
    variant_b_percent = models.PositiveSmallIntegerField(_("variant B share (%)"), default=50,
                                                         validators=[MaxValueValidator(100)])
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        indexes = [models.Index(fields=["status", "kind"])]

    def __str__(self):
        return self.name


class StepKind(models.TextChoices):
    EMAIL = "email", _("Email message")
    CALL_TASK = "call_task", _("Call task for inside sales")
    WAIT_UNTIL = "wait_until", _("Wait until a condition holds")


class PlaybookPhase(models.TextChoices):
    PRE_NOTICE = "pre_notice", _("Pre-notice")
    NOTICE = "notice", _("Notice")
    FINAL = "final", _("Final days")
    AFTER_LAPSE = "after_lapse", _("After lapse")


class CampaignStep(models.Model):
    """One step of a campaign (a broadcast or recurring campaign has exactly one email step)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=20, choices=StepKind.choices, default=StepKind.EMAIL)
    name = models.CharField(_("name"), max_length=200, blank=True)
    # Sequence: wait this long after the previous step (or entry) before this one.
    wait_days = models.PositiveIntegerField(_("wait (days)"), default=0)
    wait_hours = models.PositiveIntegerField(_("wait (hours)"), default=0)
    # Playbook: the phase and its day relative to the contract's lapse date (−60, −30, −7, +7).
    phase = models.CharField(_("phase"), max_length=20, choices=PlaybookPhase.choices, blank=True)
    offset_days = models.IntegerField(_("days from lapse"), null=True, blank=True)
    purpose = models.CharField(_("purpose"), max_length=300, blank=True)
    owner_role = models.CharField(_("owner role"), max_length=30, blank=True)
    template = models.ForeignKey("campaigns.MessageTemplate", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("template"))
    template_b = models.ForeignKey("campaigns.MessageTemplate", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("variant B template"))
    # wait_until: a segment rule tree (segments.rules) the contact must match; gives up after wait_days.
    condition = models.JSONField(_("condition"), default=dict, blank=True)

    class Meta:
        ordering = ["campaign", "position"]
        verbose_name = _("campaign step")
        verbose_name_plural = _("campaign steps")
        constraints = [models.UniqueConstraint(fields=["campaign", "position"], name="step_position_unique")]

    def __str__(self):
        return f"{self.campaign_id}#{self.position} {self.kind}"
