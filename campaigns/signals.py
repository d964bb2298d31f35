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


def _send_after_commit(signal, keyword, values, **kwargs):
    """Send `signal` with `values` as a frozenset under `keyword` once the transaction commits; nothing if empty."""
    values = frozenset(values)
    if values:
        transaction.on_commit(partial(signal.send, sender=None, **kwargs, **{keyword: values}))


def deliveries_recorded_notify(delivery_ids):
    _send_after_commit(deliveries_recorded, "delivery_ids", delivery_ids)


def enrollments_entered_notify(campaign_id, contact_ids):
    _send_after_commit(enrollments_entered, "contact_ids", contact_ids, campaign_id=campaign_id)


def addresses_suppressed_notify(emails):
    _send_after_commit(addresses_suppressed, "emails", emails)
