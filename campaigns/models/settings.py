from datetime import time

from django.db import models
from django.utils.translation import gettext_lazy as _


class SendingSettings(models.Model):
    """Workspace-wide sending policy (one row): frequency cap, quiet hours, rate limit."""

    frequency_cap_count = models.PositiveSmallIntegerField(
        _("at most this many marketing mails"), default=2,
        help_text=_("Across all campaigns; 0 turns the cap off."))
    frequency_cap_days = models.PositiveSmallIntegerField(_("per this many days"), default=7)
    quiet_start = models.TimeField(_("quiet hours start"), default=time(20, 0))
    quiet_end = models.TimeField(_("quiet hours end"), default=time(8, 0))
    quiet_weekends = models.BooleanField(_("no sending on Saturdays and Sundays"), default=True)
    quiet_holidays = models.BooleanField(_("no sending on Japanese public holidays"), default=True)
    rate_per_minute = models.PositiveIntegerField(_("send at most this many mails a minute"), default=0,
                                                  help_text=_("0: as fast as the workers go."))

    class Meta:
        verbose_name = _("sending settings")
        verbose_name_plural = _("sending settings")

    def __str__(self):
        return str(self._meta.verbose_name)

    @classmethod
    def load(cls):
        settings, _created = cls.objects.get_or_create(pk=1)
        return settings
