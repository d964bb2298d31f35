from django.db import models
from django.utils.translation import gettext_lazy as _


class DormancyMembership(models.Model):
    """A contact that matched a rule at its last refresh (kept current as facts change).

    Stored so a rule's member count is a read of one integer and a change in
    membership (a dormant contact moving) can be seen at the moment it
    happens; `dormancy.services` maintains it, `dormancy.selectors` decides
    when it is fresh enough to answer from.
    """

    rule = models.ForeignKey("dormancy.DormancyRule", on_delete=models.CASCADE, related_name="memberships")
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="dormancy_memberships")
    since = models.DateTimeField(_("member since"))

    class Meta:
        verbose_name = _("dormancy membership")
        verbose_name_plural = _("dormancy memberships")
        constraints = [models.UniqueConstraint(fields=["rule", "contact"], name="dormancy_membership_unique")]

    def __str__(self):
        return f"{self.rule_id}:{self.contact_id}"
