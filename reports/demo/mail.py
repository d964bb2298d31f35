"""Demo deliveries with the outcomes the sending engine records, decided by the engine's own rules.

Whether a contact may be mailed is campaigns.policy.skip_reason over the
legal basis (contacts.consent), the suppression list and pauses, exactly
what a worker checks at claim time; a suppressed row keeps its reason. Of
the rest a few bounce (5xx: failed, and the address suppressed, as the
sender does), and the others are sent in the send window's order. A mail
whose moment (moved out of quiet hours) is still ahead stays queued.
"""
from datetime import timedelta
from types import SimpleNamespace

from django.db import models
from django.db.models import Case, F, Value, When
from django.db.models.functions import Cast, Concat

from campaigns.models import (
    ContactMailPreference,
    Delivery,
    DeliveryStatus,
    SendingSettings,
    SkipReason,
    Suppression,
    SuppressionReason,
)
from campaigns.policy import has_legal_basis, next_allowed_slot, skip_reason
from campaigns.sending.materialize import new_token
from contacts.models import ConsentState, Contact

from .common import between, chance

BOUNCE_RATE = 0.015
BOUNCE_ERROR = "550 5.1.1 <{email}>: Recipient address rejected: User unknown"
CONTACT_FIELDS = ("id", "email", "consent", "consent_source", "owner_id")


def contacts_facts(contact_ids):
    """{id: row} with what the claim reads about a contact, in one query (plus one each for suppressions, pauses)."""
    rows = {row["id"]: row for row in Contact.objects.filter(pk__in=contact_ids).values(*CONTACT_FIELDS)}
    listed = dict(Suppression.objects.filter(email__in=[row["email"] for row in rows.values()])
                  .values_list("email", "reason"))
    paused = set(ContactMailPreference.objects.filter(contact_id__in=list(rows), paused_until__isnull=False)
                 .values_list("contact_id", flat=True))
    for row in rows.values():
        row["suppression"], row["paused"] = listed.get(row["email"]), row["id"] in paused
    return rows


def mailable(contact):
    """Whether the claim would send marketing mail to this contacts_facts row now (policy.skip_reason)."""
    return skip_reason(consent=contact["consent"], has_basis=has_legal_basis(SimpleNamespace(**contact)),
                       suppression=contact["suppression"], paused=contact["paused"]) is None


class MailPlan:
    """Collects deliveries (and the bounces they cause), then writes them set-based."""

    def __init__(self, *, seed, now):
        self.seed, self.now, self.settings = seed, now, SendingSettings.load()
        self.rows, self.bounced = [], {}

    def mail(self, *, step, contact, due, key, variant="A", contract_id=None, occurrence=0, position=0):
        """One delivery of `step` to `contact` (a contacts_facts row) due at `due`; returns it (unsaved)."""
        row = Delivery(step=step, contact_id=contact["id"], contract_id=contract_id, occurrence=occurrence,
                       variant=variant, scheduled_at=due, token=new_token())
        reason = skip_reason(consent=contact["consent"], has_basis=has_legal_basis(SimpleNamespace(**contact)),
                             suppression=contact["suppression"], paused=contact["paused"])
        slot = next_allowed_slot(due, self.settings) + timedelta(seconds=position * 0.4)
        if reason:
            row.status, row.reason = DeliveryStatus.SUPPRESSED, reason
        elif slot > self.now:
            row.status = DeliveryStatus.QUEUED
        elif chance(self.seed, "bounce", key) < BOUNCE_RATE:
            row.status, row.reason, row.attempts = DeliveryStatus.FAILED, SkipReason.SMTP_REJECTED, 1
            row.last_error, row.to_email = BOUNCE_ERROR.format(email=contact["email"]), contact["email"]
            self.bounced[contact["email"]] = slot
        else:
            row.status, row.attempts, row.to_email, row.sent_at = DeliveryStatus.SENT, 1, contact["email"], slot
        self.rows.append(row)
        return row

    def holdout(self, *, step, contact, due, variant="A"):
        self.rows.append(Delivery(step=step, contact_id=contact["id"], variant=variant, scheduled_at=due,
                                  token=new_token(), status=DeliveryStatus.SUPPRESSED, reason=SkipReason.HOLDOUT))

    def write(self, stats):
        Delivery.objects.bulk_create(self.rows, batch_size=1000)
        ids = [row.pk for row in self.rows if row.status == DeliveryStatus.SENT]
        # The sender's deterministic Message-ID shape (campaigns.sending.message), one UPDATE for the batch.
        Delivery.objects.filter(pk__in=ids).update(message_id=Concat(
            Value("<rk."), Cast("id", models.CharField()), Value(".demo@rekindle.example>"),
            output_field=models.CharField()))
        suppressions_add(self.bounced, reason=SuppressionReason.BOUNCED, detail="SMTP 550 (demo)")
        for row in self.rows:
            stats.add(f"deliveries_{row.status}", 1)
        return self.rows


def suppressions_add(moments, *, reason, detail):
    """Suppress addresses ({email: when}) with their real time (created_at is auto_now_add: one UPDATE after)."""
    if not moments:
        return 0
    Suppression.objects.bulk_create([Suppression(email=email, reason=reason, detail=detail) for email in moments],
                                    ignore_conflicts=True)
    Suppression.objects.filter(email__in=list(moments), reason=reason).update(
        created_at=Case(*[When(email=email, then=Value(at)) for email, at in moments.items()],
                        default=F("created_at")))
    return len(moments)


def unsubscribes_record(moments, *, source="配信停止ページ"):
    """Contacts ({email: when}) that unsubscribed from a mail's link: opted out with source and time, suppressed."""
    if not moments:
        return 0
    Contact.objects.filter(email__in=list(moments)).exclude(consent=ConsentState.OPTED_OUT).update(
        consent=ConsentState.OPTED_OUT, consent_source=source,
        consent_at=Case(*[When(email=email, then=Value(at)) for email, at in moments.items()]))
    return suppressions_add(moments, reason=SuppressionReason.UNSUBSCRIBED, detail=f"{source} (demo)")


def after_sending(seed, key, sent_at, low, high):
    return sent_at + between(seed, "after", key, low, high)
