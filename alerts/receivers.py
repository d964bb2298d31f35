"""Follow stored touches, score crossings and rescue choices: store an intake, never evaluate in the request."""
from django.db.models.signals import post_save
from django.dispatch import receiver

from campaigns.models import RescueChoice
from contacts.signals import touch_events_stored
from scoring.signals import contacts_became_hot

from . import services


@receiver(touch_events_stored, dispatch_uid="alerts.touches_intake")
def touches_stored(sender, events, **kwargs):
    services.touches_intake(events)


@receiver(contacts_became_hot, dispatch_uid="alerts.hot_intake")
def became_hot(sender, contacts, threshold, **kwargs):
    services.hot_intake(contacts=contacts, threshold=threshold)


@receiver(post_save, sender=RescueChoice, dispatch_uid="alerts.rescue_intake")
def rescue_chosen(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        from django.db import transaction

        transaction.on_commit(lambda: services.rescue_intake(
            RescueChoice.objects.select_related("option", "contract").get(pk=instance.pk)))
