"""Daily snapshots the dashboard reads: one typed table per concern, one row per (day, subject).

Written only by `reports.snapshots` (a whole day replaced in one
transaction), never edited by hand. Days are calendar days in the workspace
time zone. Bot-flagged touch events never reach these figures.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DormancyFigures(models.Model):
    """One dormancy rule on one day: members that day, and who moved in and out of it that day."""

    day = models.DateField(_("day"))
    rule = models.ForeignKey("dormancy.DormancyRule", on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("dormancy rule"))
    dormant = models.PositiveIntegerField(_("dormant"))
    # Members on `day` who were not members the day before, and the reverse.
    newly_dormant = models.PositiveIntegerField(_("newly dormant"))
    reactivated = models.PositiveIntegerField(_("reactivated"))
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        abstract = True


class DormancyDay(DormancyFigures):
    """The workspace's figures: every contact, owned or not."""

    # The day's DormancyOwnerDay and DormancyBreakdownDay rows were written with it (an owner without a row
    # owned no contact then). False on days stored before those existed: the report computes them itself.
    details_stored = models.BooleanField(_("per-owner figures and breakdown stored"), default=False)

    class Meta:
        ordering = ["day", "rule"]
        verbose_name = _("dormancy snapshot")
        verbose_name_plural = _("dormancy snapshots")
        constraints = [models.UniqueConstraint(fields=["day", "rule"], name="dormancy_day_unique")]

    def __str__(self):
        return f"{self.day} rule {self.rule_id}: {self.dormant}"


class DormancyOwnerDay(DormancyFigures):
    """One owner's contacts (the owner when the day was computed), so a rep's own dormancy report reads stored
    days too. An owner who owned no contact then has no row."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                              verbose_name=_("owner"))

    class Meta:
        ordering = ["day", "rule", "owner"]
        verbose_name = _("dormancy snapshot per owner")
        verbose_name_plural = _("dormancy snapshots per owner")
        constraints = [models.UniqueConstraint(fields=["owner", "rule", "day"], name="dormancy_owner_day_unique")]

    def __str__(self):
        return f"{self.day} rule {self.rule_id} owner {self.owner_id}: {self.dormant}"


class DormancyBreakdownDay(models.Model):
    """The rule's members on one day counted by owner, lost reason, industry, size band and length of silence
    (the dormancy report's breakdowns add these up; a rep's read their own rows). Written with DormancyDay."""

    day = models.DateField(_("day"))
    rule = models.ForeignKey("dormancy.DormancyRule", on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("dormancy rule"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+",
                              verbose_name=_("owner"))
    lost_reason = models.CharField(_("lost reason"), max_length=20, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    size = models.CharField(_("company size"), max_length=20, blank=True)
    silence = models.CharField(_("silent for"), max_length=20)
    contacts = models.PositiveIntegerField(_("contacts"))

    class Meta:
        ordering = ["day", "rule"]
        verbose_name = _("dormancy breakdown snapshot")
        verbose_name_plural = _("dormancy breakdown snapshots")
        indexes = [models.Index(fields=["rule", "day", "owner"], name="dormancy_breakdown_day")]

    def __str__(self):
        return f"{self.day} rule {self.rule_id}: {self.contacts}"


class CampaignFunnelDay(models.Model):
    """The messages a campaign sent on one day, and how far each got within the attribution window.

    Counted in messages: `sent` delivered rows sent that day; each later stage
    counts the messages whose contact did that within
    `reports.snapshots.ATTRIBUTION_DAYS` of the send (human touches only).
    """

    day = models.DateField(_("day sent"))
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("campaign"))
    sent = models.PositiveIntegerField(_("sent"))
    delivered = models.PositiveIntegerField(_("delivered"))
    opened = models.PositiveIntegerField(_("opened"))
    clicked = models.PositiveIntegerField(_("clicked"))
    revisited = models.PositiveIntegerField(_("site revisit"))
    meetings = models.PositiveIntegerField(_("meeting booked"))
    renewals = models.PositiveIntegerField(_("renewed"))
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        ordering = ["day", "campaign"]
        verbose_name = _("campaign funnel snapshot")
        verbose_name_plural = _("campaign funnel snapshots")
        constraints = [models.UniqueConstraint(fields=["day", "campaign"], name="campaign_funnel_day_unique")]

    def __str__(self):
        return f"{self.day} campaign {self.campaign_id}: {self.sent} sent"


class AlertResponseDay(models.Model):
    """One rep's claimed alerts on one day (by claim time) and how long they waited since firing."""

    day = models.DateField(_("day claimed"))
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                            verbose_name=_("rep"))
    claimed = models.PositiveIntegerField(_("alerts claimed"))
    total_seconds = models.FloatField(_("total wait (seconds)"))
    within_hour = models.PositiveIntegerField(_("claimed within an hour"))
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        ordering = ["day", "rep"]
        verbose_name = _("alert response snapshot")
        verbose_name_plural = _("alert response snapshots")
        constraints = [models.UniqueConstraint(fields=["day", "rep"], name="alert_response_day_unique")]

    def __str__(self):
        return f"{self.day} rep {self.rep_id}: {self.claimed}"
