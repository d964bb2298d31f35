"""Follow contacts' changes: rescore them and move them through segments, in a worker."""
from django.dispatch import receiver

from contacts.signals import contact_facts_changed

from .services import APPLY_BATCH
from .tasks import contact_facts_apply


@receiver(contact_facts_changed, dispatch_uid="scoring.contact_facts_apply")
def contact_facts_apply_enqueue(sender, contact_ids, touches_only=False, **kwargs):
    """One message per batch of ids (the signal is sent after commit, so the rows are visible)."""
    ids = sorted(contact_ids)
    for start in range(0, len(ids), APPLY_BATCH):
        contact_facts_apply.delay(ids[start : start + APPLY_BATCH], touches_only)
