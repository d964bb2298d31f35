"""Signals contacts sends so that apps built on it can follow its changes.

`contact_facts_changed` (keywords `contact_ids`, a frozenset, and
`touches_only`, true when those contacts only got new touches) is sent after the
transaction that changed those contacts' facts has committed: a touch
recorded, a contact, event or contract import written. Receivers derive
their own data from the stored facts (scores, segment memberships), so they
must be idempotent; contacts itself knows nothing about them.
"""
from django.dispatch import Signal

contact_facts_changed = Signal()
