"""State changes on contacts and their touches.

The last-touch summary is kept current as events arrive: a single event
moves it forward with a conditional UPDATE (never backwards), and bulk loads
recompute it for the affected contacts with one set-based statement each.
"""
import hashlib
from functools import partial

from django.db import connection, transaction
from django.db.models import Q

from .models import Contact, ContactTouchSummary, TouchEvent, TouchSource
from .signals import StoredTouch, contact_facts_changed, touch_events_stored, touch_history_loaded


def contact_facts_changed_notify(contact_ids, *, touches_only=False):
    """Tell the apps built on contacts, once the transaction commits, that these contacts changed."""
    ids = frozenset(contact_ids)
    if ids:
        transaction.on_commit(partial(contact_facts_changed.send, sender=Contact, contact_ids=ids,
                                      touches_only=touches_only))


def event_fingerprint(*, contact_id, kind, occurred_at, url="", detail=""):
    raw = "\x1f".join([str(contact_id), kind, occurred_at.isoformat(), url or "", detail or ""])
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def touch_events_stored_notify(touches):
    """Send `touch_events_stored` with these StoredTouch once the transaction commits."""
    touches = tuple(touches)
    if touches:
        transaction.on_commit(partial(touch_events_stored.send, sender=TouchEvent, events=touches))


def touch_history_loaded_notify(contact_ids):
    """Send `touch_history_loaded` for these contacts once the transaction commits (bulk imports of events)."""
    ids = frozenset(contact_ids)
    if ids:
        transaction.on_commit(partial(touch_history_loaded.send, sender=TouchEvent, contact_ids=ids))


def touch_event_record(*, contact, kind, occurred_at, url="", detail="", source=TouchSource.MANUAL,
                       flagged_as_bot=False):
    """Store one touch and move the contact's last-touch summary forward.

    Returns (event, created). Recording the same fact twice is a no-op.
    """
    fingerprint = event_fingerprint(contact_id=contact.pk, kind=kind, occurred_at=occurred_at, url=url, detail=detail)
    previous = Contact.objects.filter(pk=contact.pk).values_list("last_touch_at", flat=True).first()
    with transaction.atomic():
        event, created = TouchEvent.objects.get_or_create(
            fingerprint=fingerprint,
            defaults={
                "contact": contact, "kind": kind, "occurred_at": occurred_at, "url": url[:2000],
                "detail": detail[:1000], "source": source, "flagged_as_bot": flagged_as_bot,
            },
        )
        if created and not flagged_as_bot:
            # Conditional updates: an older event never moves the summary back.
            updated = ContactTouchSummary.objects.filter(contact=contact, kind=kind, last_at__lt=occurred_at).update(
                last_at=occurred_at
            )
            if not updated:
                ContactTouchSummary.objects.get_or_create(contact=contact, kind=kind, defaults={"last_at": occurred_at})
            Contact.objects.filter(pk=contact.pk).filter(
                Q(last_touch_at__isnull=True) | Q(last_touch_at__lt=occurred_at)
            ).update(last_touch_at=occurred_at, last_touch_kind=kind)
        if created:
            touch_events_stored_notify([StoredTouch(
                event_id=event.pk, contact_id=contact.pk, kind=kind, occurred_at=occurred_at, url=event.url,
                detail=event.detail, source=source, flagged_as_bot=flagged_as_bot, previous_touch_at=previous)])
            contact_facts_changed_notify([contact.pk], touches_only=True)
    return event, created


_SUMMARY_UPSERT = """
INSERT INTO contacts_contacttouchsummary (contact_id, kind, last_at)
SELECT e.contact_id, e.kind, MAX(e.occurred_at)
FROM contacts_touchevent e
WHERE e.contact_id IN ({ids}) AND e.flagged_as_bot = %s
GROUP BY e.contact_id, e.kind
ON CONFLICT (contact_id, kind) DO UPDATE SET last_at = excluded.last_at
"""

_CONTACT_LAST_TOUCH = """
UPDATE contacts_contact SET
  last_touch_at = (SELECT MAX(s.last_at) FROM contacts_contacttouchsummary s WHERE s.contact_id = contacts_contact.id),
  last_touch_kind = COALESCE((SELECT s.kind FROM contacts_contacttouchsummary s
                              WHERE s.contact_id = contacts_contact.id
                              ORDER BY s.last_at DESC, s.kind LIMIT 1), '')
WHERE id IN ({ids})
"""


_SUMMARY_ADVANCE = """
INSERT INTO contacts_contacttouchsummary (contact_id, kind, last_at) VALUES {rows}
ON CONFLICT (contact_id, kind) DO UPDATE SET last_at = CASE
  WHEN excluded.last_at > contacts_contacttouchsummary.last_at THEN excluded.last_at
  ELSE contacts_contacttouchsummary.last_at END
"""


# The overall last touch moves forward to each contact's latest summary row;
# contacts whose last touch does not move are not written at all.
_CONTACT_LAST_TOUCH_ADVANCE = """
UPDATE contacts_contact SET last_touch_at = s.last_at, last_touch_kind = s.kind
FROM (SELECT contact_id, last_at, kind,
             ROW_NUMBER() OVER (PARTITION BY contact_id ORDER BY last_at DESC, kind) AS rn
      FROM contacts_contacttouchsummary WHERE contact_id IN ({ids})) s
WHERE s.rn = 1 AND contacts_contact.id = s.contact_id
  AND (contacts_contact.last_touch_at IS NULL OR contacts_contact.last_touch_at < s.last_at)
"""


def touch_summaries_advance(events, *, batch_size=2000):
    """Move the summaries forward for freshly stored `events` (never backwards); returns the contact ids.

    The incremental path for new touches: one upsert per batch of (contact,
    kind) pairs taken from the new events alone, then the overall last touch
    for those contacts from their summary rows. The cost follows the batch,
    not the contacts' history (touch_summaries_refresh re-reads every event
    of the contacts: for repairs and for bot flags that move a summary back).
    """
    latest = {}
    for event in events:
        if event.flagged_as_bot:
            continue
        key = (event.contact_id, event.kind)
        if key not in latest or event.occurred_at > latest[key]:
            latest[key] = event.occurred_at
    pairs = sorted(latest.items())
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        for start in range(0, len(pairs), batch_size):
            chunk = pairs[start : start + batch_size]
            rows = ", ".join(["(%s, %s, %s)"] * len(chunk))
            cursor.execute(_SUMMARY_ADVANCE.format(rows=rows),
                           [value for (contact_id, kind), at in chunk for value in (contact_id, kind, adapt(at))])
        ids = sorted({contact_id for contact_id, _kind in latest})
        for start in range(0, len(ids), batch_size):
            chunk = ids[start : start + batch_size]
            cursor.execute(_CONTACT_LAST_TOUCH_ADVANCE.format(ids=", ".join(["%s"] * len(chunk))), chunk)
    return ids


def touch_summaries_refresh(*, contact_ids, batch_size=5000):
    """Recompute the per-kind and overall last touch for `contact_ids`.

    Set-based: one upsert and one update per batch of ids, reading only the
    affected contacts' events through the (contact, kind, occurred_at) index.
    Idempotent, so a retried import or a re-run is harmless.
    """
    ids = sorted(set(contact_ids))
    with connection.cursor() as cursor:
        for start in range(0, len(ids), batch_size):
            chunk = ids[start : start + batch_size]
            placeholders = ", ".join(["%s"] * len(chunk))
            cursor.execute(_SUMMARY_UPSERT.format(ids=placeholders), [*chunk, False])
            cursor.execute(_CONTACT_LAST_TOUCH.format(ids=placeholders), chunk)


def touch_summaries_rebuild_all():
    """Rebuild every summary from the events table (demo data, repairs)."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM contacts_contacttouchsummary")
        cursor.execute(
            "INSERT INTO contacts_contacttouchsummary (contact_id, kind, last_at) "
            "SELECT contact_id, kind, MAX(occurred_at) FROM contacts_touchevent "
            "WHERE flagged_as_bot = %s GROUP BY contact_id, kind",
            [False],
        )
        cursor.execute(_CONTACT_LAST_TOUCH.replace("WHERE id IN ({ids})", ""))
