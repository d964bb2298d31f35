"""Keep the campaign report's stored answers current as facts arrive (reports.campaign_answers).

Every receiver runs after the transaction that stored the facts has
committed, re-asks the questions for the rows those facts can reach in one
UPDATE per table, and only adds to what is stored, so a message handled
twice or two handled at once do no harm.
"""
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from alerts.models import Reactivation
from campaigns.models import Suppression
from campaigns.signals import addresses_suppressed, deliveries_recorded, enrollments_entered
from contacts.signals import touch_events_stored, touch_history_loaded

from . import campaign_answers


@receiver(touch_events_stored, dispatch_uid="reports.answers_touches")
def touches_stored(sender, events, **kwargs):
    campaign_answers.stored_touches_answers_add(events)


@receiver(touch_history_loaded, dispatch_uid="reports.answers_history")
def history_loaded(sender, contact_ids, **kwargs):
    campaign_answers.contacts_answers_add(contact_ids)


@receiver(addresses_suppressed, dispatch_uid="reports.answers_suppressed")
def suppressed(sender, emails, **kwargs):
    campaign_answers.suppressed_answers_add(emails, now=timezone.now())


@receiver(deliveries_recorded, dispatch_uid="reports.answers_deliveries")
def outcomes_recorded(sender, delivery_ids, **kwargs):
    campaign_answers.deliveries_recorded_answers_add(delivery_ids)


@receiver(enrollments_entered, dispatch_uid="reports.answers_enrollments")
def contacts_enrolled(sender, campaign_id, contact_ids, **kwargs):
    campaign_answers.enrollments_entered_answers_add(campaign_id=campaign_id, contact_ids=contact_ids)


@receiver(post_save, sender=Reactivation, dispatch_uid="reports.answers_reactivation")
def reactivation_saved(sender, instance, created, raw=False, **kwargs):
    """A rep's recorded reactivation (alerts.services, get_or_create: one row at a time)."""
    if not raw:
        contact_id, at = instance.contact_id, instance.at
        transaction.on_commit(lambda: campaign_answers.facts_answers_add(reactivations=[(contact_id, at)]))


@receiver(post_save, sender=Suppression, dispatch_uid="reports.answers_suppression")
def suppression_saved(sender, instance, created, raw=False, **kwargs):
    """An address suppressed one row at a time (the admin, a test); bulk inserts send addresses_suppressed."""
    if not raw:
        email = instance.email
        transaction.on_commit(lambda: campaign_answers.suppressed_answers_add([email], now=timezone.now()))
