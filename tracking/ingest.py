"""The ingestion API's service: validated events of known (or new) contacts, stored in the request.

Idempotent by the client's event id: an event that names one gets a
fingerprint derived from (contact, client event id), so a retried call
stores nothing twice and reports those events as duplicates. Without a
client id the fingerprint is the fact itself (contact, kind, time, URL,
detail), as for imports.
"""
from django.db import transaction

from contacts.models import Contact, TouchSource
from contacts.services import contact_facts_changed_notify, event_fingerprint

from .records import touch_record
from .services import client_event_fingerprint
from .store import records_store

ACCEPTED, DUPLICATE, REJECTED = "accepted", "duplicate", "rejected"


def events_ingest(*, events, now):
    """Store `events` (validated dicts, or None for one that failed validation); returns (status, reason) per event.

    An event names its contact by `contact_id` or `email`; an unknown email
    creates a contact (consent none) only with `create_contact`.
    """
    with transaction.atomic():
        contacts = _contacts(events)
        results, records, fingerprints = [], [], []
        for event in events:
            if event is None:
                results.append((REJECTED, None))
                fingerprints.append(None)
                continue
            contact_id = contacts.get(("id", event["contact_id"])) if event.get("contact_id") else \
                contacts.get(("email", event.get("email")))
            if contact_id is None:
                results.append((REJECTED, "unknown_contact"))
                fingerprints.append(None)
                continue
            url, detail = event.get("url", ""), event.get("detail", "")
            fingerprint = (client_event_fingerprint(contact_id=contact_id, client_event_id=event["client_event_id"])
                           if event.get("client_event_id") else
                           event_fingerprint(contact_id=contact_id, kind=event["kind"],
                                             occurred_at=event["occurred_at"], url=url, detail=detail))
            records.append(touch_record(contact_id=contact_id, kind=event["kind"], occurred_at=event["occurred_at"],
                                        url=url, detail=detail, source=TouchSource.API, fingerprint=fingerprint))
            fingerprints.append(fingerprint)
            results.append((ACCEPTED, None))
        inserted = records_store(records, now=now) if records else set()
    seen = set()
    for index, fingerprint in enumerate(fingerprints):
        if fingerprint is None:
            continue
        if fingerprint not in inserted or fingerprint in seen:
            results[index] = (DUPLICATE, None)
        seen.add(fingerprint)
    return results


def _contacts(events):
    """{("id", id) | ("email", email): contact id} for the contacts the events name; creates the ones asked for."""
    ids = {event["contact_id"] for event in events if event and event.get("contact_id")}
    emails = {event["email"] for event in events if event and not event.get("contact_id") and event.get("email")}
    found = {("id", pk): pk for pk in Contact.objects.filter(id__in=ids).values_list("id", flat=True)}
    by_email = dict(Contact.objects.filter(email__in=emails).values_list("email", "id"))
    wanted = sorted({event["email"] for event in events if event and not event.get("contact_id")
                     and event.get("create_contact") and event.get("email") not in by_email})
    if wanted:
        Contact.objects.bulk_create([Contact(email=email) for email in wanted], ignore_conflicts=True)
        created = dict(Contact.objects.filter(email__in=wanted).values_list("email", "id"))
        by_email.update(created)
        contact_facts_changed_notify(created.values())
    found.update({("email", email): pk for email, pk in by_email.items()})
    return found
