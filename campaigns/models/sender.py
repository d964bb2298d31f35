from django.db import models
from django.utils.translation import gettext_lazy as _


class SenderProfile(models.Model):
    """Who a marketing mail is from, and the details the law asks every marketing mail to carry.

    Japan's Act on Specified Electronic Mail: the sender's name, postal address
    and a contact point for inquiries, with an unsubscribe link. A campaign
    cannot start while its profile lacks any of them (`missing`).
    """

    name = models.CharField(_("profile name"), max_length=100, help_text=_("Only shown inside Rekindle."))
    from_name = models.CharField(_("sender name"), max_length=100)
    from_email = models.EmailField(_("sender address"))
    reply_to = models.EmailField(_("reply-to address"), blank=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    postal_address = models.TextField(_("postal address"), blank=True)
    inquiry_contact = models.CharField(
        _("inquiry contact"), max_length=200, blank=True,
        help_text=_("A phone number, email address or web page where recipients can ask questions."),
    )
    # mailto: target of the List-Unsubscribe header; blank means the sender address.
    unsubscribe_email = models.EmailField(_("unsubscribe address"), blank=True)
    is_default = models.BooleanField(_("default profile"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_default", "name", "id"]
        verbose_name = _("sender profile")
        verbose_name_plural = _("sender profiles")

    def __str__(self):
        return f"{self.name} <{self.from_email}>"

    def missing(self):
        """Labels of the legally required details this profile lacks (empty when it may send)."""
        required = [("from_name", self.from_name), ("from_email", self.from_email),
                    ("postal_address", self.postal_address), ("inquiry_contact", self.inquiry_contact)]
        return [str(self._meta.get_field(name).verbose_name) for name, value in required if not str(value).strip()]
