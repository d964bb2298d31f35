"""Signals campaigns sends so that apps built on it can follow its rows (the reports' stored answers).

Each is sent after the transaction that wrote the rows has committed, with
plain ids or addresses; receivers derive their own data from the stored
facts, so they must be idempotent, and campaigns knows nothing about them.

- `deliveries_recorded` (keyword `delivery_ids`, a frozenset): send outcomes
  were written for these rows (sent_at set, failed, or queued again with a
  later due time).
- `enrollments_entered` (keywords `campaign_id`, `contact_ids`, a frozenset):
  these contacts were enrolled (or re-enrolled) in the campaign.
- `addresses_suppressed` (keyword `emails`, a frozenset of normalised
  addresses): these addresses were put on the suppression list (an address
  already on it is no change, but may be included).

Broadcast and newsletter runs (campaigns.sending.materialize) send nothing:
their rows are due at or after the moment they are written, so no fact can
fall in their windows yet; the touches that later do are followed through
contacts.signals.
"""
from functools import partial

from django.db import transaction
from django.dispatch import Signal

deliveries_recorded = Signal()
enrollments_entered = Signal()
addresses_suppressed = Signal()


def deliveries_recorded_notify(delivery_ids):
    ids = frozenset(delivery_ids)
    if ids:
        transaction.on_commit(partial(deliveries_recorded.send, sender=None, delivery_ids=ids))


def enrollments_entered_notify(campaign_id, contact_ids):
    ids = frozenset(contact_ids)
    if ids:
        transaction.on_commit(partial(enrollments_entered.send, sender=None, campaign_id=campaign_id,
                                      contact_ids=ids))


def addresses_suppressed_notify(emails):
    emails = frozenset(emails)
    if emails:
        transaction.on_commit(partial(addresses_suppressed.send, sender=None, emails=emails))
