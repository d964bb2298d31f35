"""Hot-lead alerts: the triggers that fire them, the alerts reps work, and the notifications sent about them.

The database is the truth: a batch of touches to evaluate is an AlertIntake
row before it is a Celery message; an alert exists at most once per
(trigger, contact) dedup window because AlertGate serialises the decision;
every email or webhook is a Notification row with its attempts and last error.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from contacts.models import TouchKind


class TriggerKind(models.TextChoices):
    DORMANT_RETURN = "dormant_return", _("A dormant contact is touched again")
    PAGE_VIEW = "page_view", _("A matching page or document is viewed")
    HOT_SCORE = "hot_score", _("The score crosses the hot-lead threshold")
    REPLY_OR_FORM = "reply_or_form", _("The contact replies or submits a form")
    RESCUE_CHOICE = "rescue_choice", _("A rescue option is chosen")


class Routing(models.TextChoices):
    OWNER_ELSE_ROUND_ROBIN = "owner_else_round_robin", _("The contact's owner, else the next rep on duty")
    ROUND_ROBIN = "round_robin", _("The next rep on duty")


# Touches the contact makes (a rep's own calls and meetings never mean "they came back").
INBOUND_KINDS = [TouchKind.EMAIL_CLICK, TouchKind.PAGE_VIEW, TouchKind.FORM_SUBMIT, TouchKind.DOWNLOAD,
                 TouchKind.WEBINAR, TouchKind.REPLY]


def default_touch_kinds():
    return [str(kind) for kind in INBOUND_KINDS]


class Trigger(models.Model):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=TriggerKind.choices)
    # Page triggers: one fragment per line, matched case-insensitively anywhere in the URL.
    url_patterns = models.TextField(
        _("URL contains"), blank=True,
        help_text=_("Page triggers: one fragment per line, e.g. /pricing. Any line may match; case is ignored."),
    )
    dormancy_rule = models.ForeignKey(
        "dormancy.DormancyRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("dormancy rule"), help_text=_("Dormant-contact triggers: empty means any active rule."),
    )
    touch_kinds = models.JSONField(_("touches that count"), default=default_touch_kinds, blank=True)
    dedup_hours = models.PositiveIntegerField(
        _("quiet period (hours)"), default=24,
        help_text=_("At most one alert per contact from this trigger within this many hours."),
    )
    routing = models.CharField(_("routing"), max_length=30, choices=Routing.choices,
                               default=Routing.OWNER_ELSE_ROUND_ROBIN)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("alert trigger")
        verbose_name_plural = _("alert triggers")

    def __str__(self):
        return self.name

    def patterns(self):
        return [line.strip().lower() for line in self.url_patterns.splitlines() if line.strip()]


class AlertStatus(models.TextChoices):
    OPEN = "open", _("New")
    CLAIMED = "claimed", _("Claimed")
    SNOOZED = "snoozed", _("Snoozed")
    DONE = "done", _("Done")


class Outcome(models.TextChoices):
    REACHED = "reached", _("Reached")
    NO_ANSWER = "no_answer", _("No answer")
    MEETING_BOOKED = "meeting_booked", _("Meeting booked")
    NOT_INTERESTED = "not_interested", _("Not interested")
    WRONG_PERSON = "wrong_person", _("Wrong person")


class Alert(models.Model):
    trigger = models.ForeignKey(Trigger, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("trigger"))
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="alerts",
                                verbose_name=_("contact"))
    fired_at = models.DateTimeField(_("fired"))
    status = models.CharField(_("status"), max_length=20, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="alerts", verbose_name=_("assigned to"))
    routed_by = models.CharField(_("routed by"), max_length=20, blank=True)  # "owner" | "round_robin" | ""
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    note = models.CharField(_("note"), max_length=1000, blank=True)
    snoozed_until = models.DateTimeField(_("snoozed until"), null=True, blank=True)
    # What the rep needs before calling, as it was when the alert fired (plain JSON, see alerts.context).
    context = models.JSONField(_("context"), default=dict)
    # Moves on every change: the inbox asks "anything newer than my cursor?".
    changed_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-fired_at", "-id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            # The gate's window start: a second alert in the same window cannot be stored, whatever the race.
            models.UniqueConstraint(fields=["trigger", "contact", "fired_at"], name="alert_once_per_window"),
        ]
        indexes = [
            models.Index(fields=["assignee", "status", "fired_at"], name="alert_inbox"),
            models.Index(fields=["status", "fired_at"], name="alert_status_age"),
        ]

    def __str__(self):
        return f"{self.trigger_id}:{self.contact_id}@{self.fired_at:%Y-%m-%d %H:%M}"


class AlertGate(models.Model):
    """The last time a trigger fired for a contact, and until when it stays quiet.

    Moved forward only by one conditional upsert (alerts.evaluate), in the
    transaction that stores the alert: two workers racing for the same
    (trigger, contact) serialise on this row and only one sees the window open.
    """

    trigger = models.ForeignKey(Trigger, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="+")
    fired_at = models.DateTimeField()
    quiet_until = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["trigger", "contact"], name="alert_gate_unique")]


class IntakeKind(models.TextChoices):
    TOUCHES = "touches", _("Touches stored")
    HOT = "hot", _("Became hot leads")
    RESCUE = "rescue", _("Rescue option chosen")


class AlertIntake(models.Model):
    """Something to evaluate triggers on, stored before its Celery message is sent.

    The message is a doorbell: a lost one is found by the sweep; a repeated
    one finds the row done. `payload` is plain JSON (StoredTouch fields, or
    contact ids, or a rescue choice id).
    """

    kind = models.CharField(max_length=20, choices=IntakeKind.choices)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["created_at"], condition=models.Q(done_at__isnull=True),
                                name="alert_intake_pending")]


class RepDuty(models.Model):
    """Whether a rep takes round-robin alerts now, and when they last got one (the rotation order)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_duty")
    on_duty = models.BooleanField(_("on duty"), default=False)
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("rep duty")
        verbose_name_plural = _("rep duty")

    def __str__(self):
        return f"{self.user} {'on' if self.on_duty else 'off'}"


class WebhookEndpoint(models.Model):
    """A Slack-compatible incoming webhook: the workspace's (no user) or one rep's."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="alert_webhooks", verbose_name=_("rep"),
                             help_text=_("Empty: every alert. A rep: only the alerts assigned to that rep."))
    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=200, blank=True,
                              help_text=_("Shared with the receiver, which checks the X-Rekindle-Signature header."))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user_id", "name", "id"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self):
        return self.name


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    WEBHOOK = "webhook", _("Webhook")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notification(models.Model):
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notifications")
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    endpoint = models.ForeignKey(WebhookEndpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("status"), max_length=20, choices=NotificationStatus.choices,
                              default=NotificationStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_at = models.DateTimeField(_("next attempt"))
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["status", "next_at"], name="notification_due")]

    def __str__(self):
        return f"{self.channel} {self.alert_id} {self.status}"


class Reactivation(models.Model):
    """A contact marked reactivated: a rep booked a meeting from an alert.

    Kept here because contacts has no field for it (reported: a contact-level
    flag belongs on Contact).
    """

    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="reactivations")
    alert = models.OneToOneField(Alert, on_delete=models.CASCADE, related_name="reactivation")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at"]
        verbose_name = _("reactivation")
        verbose_name_plural = _("reactivations")
