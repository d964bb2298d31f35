from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class MailTopic(models.Model):
    """A kind of marketing mail that recipients can stop on its own ("Webinars and events").

    A campaign names at most one topic; a campaign without one is general
    marketing mail, which only a full unsubscribe or a pause stops. Topics
    are deactivated, not deleted: a deactivated topic is no longer offered
    to new campaigns or on the unsubscribe page, and the opt-outs recorded
    for it stay in force for the campaigns that still carry it.

    Names and descriptions come in the two languages of the product: `name`
    is the Japanese one (the workspace language), `name_en` the English one
    shown on English pages when it is filled in.
    """

    key = models.SlugField(_("key"), max_length=50, unique=True,
                           help_text=_("A short fixed identifier, e.g. “webinars”. Cannot be changed later."))
    name = models.CharField(_("name (Japanese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True,
                               help_text=_("Shown on English pages; empty means the Japanese name is shown."))
    description = models.CharField(_("description (Japanese)"), max_length=300, blank=True,
                                   help_text=_("One sentence for recipients on the unsubscribe page."))
    description_en = models.CharField(_("description (English)"), max_length=300, blank=True)
    is_active = models.BooleanField(
        _("active"), default=True,
        help_text=_("Inactive topics are not offered to new campaigns or on the unsubscribe page; opt-outs "
                    "already recorded stay in force."))
    position = models.PositiveSmallIntegerField(_("position"), default=0,
                                                help_text=_("Lower numbers are listed first."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("mail topic")
        verbose_name_plural = _("mail topics")

    def __str__(self):
        return self.display_name()

    def display_name(self, language=None):
        """The name in `language` (the active one by default), falling back to the Japanese name."""
        if _is_english(language) and self.name_en:
            return self.name_en
        return self.name

    def display_description(self, language=None):
        if _is_english(language) and self.description_en:
            return self.description_en
        return self.description


def _is_english(language):
    return (language or get_language() or settings.LANGUAGE_CODE).startswith("en")
