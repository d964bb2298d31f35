"""Signals contacts sends so that apps built on it can follow its changes.

`contact_facts_changed` (keywords `contact_ids`, a frozenset, and
`touches_only`, true when those contacts only got new touches) is sent after the
transaction that changed those contacts' facts has committed: a touch
recorded, a contact, event or contract import written. Receivers derive
their own data from the stored facts (scores, segment memberships), so they
must be idempotent; contacts itself knows nothing about them.

`touch_events_stored` (keyword `events`, a tuple of StoredTouch) is sent after
the transaction that inserted new touch events has committed — one recorded
touch, a tracking batch, an ingestion API call (not bulk imports of history).
It carries what a receiver needs to react to the touches themselves (alert
triggers) without reading the event history: each event's kind, time, URL,
whether it was flagged as a bot, and the contact's last counted touch before
this batch moved it (None when it had none). It is sent before
`contact_facts_changed` for the same batch.

`touch_history_loaded` (keyword `contact_ids`, a frozenset) is sent after the
transaction of a bulk import of touch events (contacts.importing) has
committed: these contacts got events, of any age, that nobody was told about
one by one (history must not raise alerts). Receivers that keep answers
derived from the event history (the campaign report's) re-derive them.
"""
from dataclasses import dataclass
from datetime import datetime

from django.dispatch import Signal

contact_facts_changed = Signal()
touch_events_stored = Signal()
touch_history_loaded = Signal()


@dataclass(frozen=True)
class StoredTouch:
    event_id: int
    contact_id: int
    kind: str
    occurred_at: datetime
    url: str = ""
    detail: str = ""
    source: str = ""
    flagged_as_bot: bool = False
    previous_touch_at: datetime | None = None  # the contact's last counted touch before this batch
