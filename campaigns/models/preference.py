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


class ContactTopicOptOut(models.Model):
    """A recipient's "no more mail about this topic" (MailTopic), chosen on the unsubscribe page.

    One row per (contact, topic); its absence means the contact still gets
    the topic. Like a pause, it leaves the contact's consent record as it is:
    it narrows what the contact gets, it is not the opt-out of all marketing
    mail. The claim and the preflight test it with an EXISTS on the unique
    index (contact, topic).
    """

    # No separate index on contact: the unique constraint's index starts with it.
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="topic_opt_outs",
                                db_index=False)
    topic = models.ForeignKey("campaigns.MailTopic", on_delete=models.CASCADE, related_name="opt_outs",
                              verbose_name=_("topic"))
    created_at = models.DateTimeField(_("opted out at"), auto_now_add=True)

    class Meta:
        verbose_name = _("topic opt-out")
        verbose_name_plural = _("topic opt-outs")
        constraints = [models.UniqueConstraint(fields=["contact", "topic"], name="topic_opt_out_once")]

    def __str__(self):
        return f"{self.contact_id} opted out of topic {self.topic_id}"
