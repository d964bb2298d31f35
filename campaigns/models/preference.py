from django.db import models
from django.utils.translation import gettext_lazy as _


class ContactMailPreference(models.Model):
    """What a recipient chose on the unsubscribe page short of unsubscribing: a pause.

    Kept apart from the contact's consent: a pause is not an opt-out (the
    evidence of consent stays as it was) and ends by itself at `paused_until`.
    """

    contact = models.OneToOneField("contacts.Contact", on_delete=models.CASCADE, related_name="mail_preference")
    paused_until = models.DateTimeField(_("no marketing mail until"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("mail preference")
        verbose_name_plural = _("mail preferences")

    def __str__(self):
        return f"{self.contact_id} paused until {self.paused_until}"
