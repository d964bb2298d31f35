"""Signals scoring sends for apps built on it.

`contacts_became_hot` (keywords `contacts`, a tuple of (contact_id, score),
and `threshold`) is sent after the transaction that turned those contacts'
hot-lead flag on has committed — by the incremental rescore after new facts
and by the full recompute alike. Contacts that were already hot are not in it.
"""
from django.dispatch import Signal

contacts_became_hot = Signal()
