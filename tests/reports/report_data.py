"""Small fixed datasets for the report tests, written row by row so every expected figure can be counted by hand."""
import uuid
from datetime import UTC, datetime

from django.utils import translation

from alerts.models import Alert, Reactivation, Trigger, TriggerKind
from campaigns.models import Campaign, CampaignStep, Delivery, SenderProfile, Suppression
from contacts.models import Contact, TouchEvent

# 2026-03-02 10:00 in Tokyo.
T = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
RANGE = {"from": "2026-02-01", "to": "2026-03-31"}


def english():
    return translation.override("en")


def noon_tokyo(day):
    """12:00 in Tokyo (03:00 UTC) of a calendar day: safely inside that workspace day."""
    return datetime(day.year, day.month, day.day, 3, 0, tzinfo=UTC)


def sender():
    return SenderProfile.objects.create(name="Main", from_name="Rekindle", from_email="sales@example.co.jp",
                                        postal_address="東京都千代田区1-1", inquiry_contact="03-0000-0000")


def campaign(kind="broadcast", *, name="Spring win-back", holdout=20, status="running", **extra):
    return Campaign.objects.create(name=name, kind=kind, status=status, sender=sender(), holdout_percent=holdout,
                                   started_at=T, **extra)


def step(campaign, position=1, **extra):
    return CampaignStep.objects.create(campaign=campaign, position=position, **extra)


def contact(email, **extra):
    return Contact.objects.create(email=email, consent="opt_in", **extra)


def delivery(step, contact, *, status="sent", reason="", variant="A", at=T, contract=None):
    return Delivery.objects.create(step=step, contact=contact, contract=contract, status=status, reason=reason,
                                   variant=variant, scheduled_at=at, sent_at=at if status == "sent" else None,
                                   token=uuid.uuid4().hex, to_email=contact.email)


def touch(contact, kind, at, *, bot=False):
    return TouchEvent.objects.create(contact=contact, kind=kind, occurred_at=at, flagged_as_bot=bot,
                                     fingerprint=uuid.uuid4().hex)


def suppression(email, reason, at):
    row = Suppression.objects.create(email=email, reason=reason)
    Suppression.objects.filter(pk=row.pk).update(created_at=at)  # auto_now_add: set the moment afterwards
    return row


def reactivation(contact, at):
    trigger = Trigger.objects.get_or_create(name="Came back", kind=TriggerKind.DORMANT_RETURN)[0]
    alert = Alert.objects.create(trigger=trigger, contact=contact, fired_at=at, context={})
    return Reactivation.objects.create(contact=contact, alert=alert, at=at)
