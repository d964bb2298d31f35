"""State changes of tracking: sites, form submissions, retention.

Form submissions are written in the request (a form may create a contact and
record its consent, and a form post is rare next to page views); page views,
opens and clicks go through the buffer (tracking.pipeline).
"""
import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from contacts.models import ConsentState, Contact, TouchKind, TouchSource
from contacts.rules import normalize_email, workspace_today
from contacts.services import contact_facts_changed_notify

from . import selectors
from .models import AnonymousPageView, TrackingSite
from .records import MAX_DETAIL, clip, identify_record, touch_record
from .store import records_store

MAX_FORM_FIELDS = 30
MAX_FIELD_NAME = 50
MAX_FIELD_VALUE = 500
MAX_FORM_NAME = 100
MAX_CONSENT_TEXT = 300


def site_save(*, site=None, name, allowed_origins, is_active):
    site = site or TrackingSite()
    site.name, site.allowed_origins, site.is_active = name, sorted(set(allowed_origins)), is_active
    site.save()
    selectors.cache_clear()
    return site


def anonymous_views_prune(*, now):
    """Forget anonymous page views older than the retention period; returns how many."""
    cutoff = now - timedelta(days=settings.TRACKING_ANONYMOUS_RETENTION_DAYS)
    deleted, _by_model = AnonymousPageView.objects.filter(occurred_at__lt=cutoff).delete()
    return deleted


def form_fields_clean(raw):
    """At most MAX_FORM_FIELDS (name, value) pairs of text, each cut to its limit; other input is ignored."""
    items = raw.items() if isinstance(raw, dict) else raw
    fields = []
    for name, value in items:
        if len(fields) >= MAX_FORM_FIELDS:
            break
        name = name.replace("\x00", "").strip() if isinstance(name, str) else ""  # PostgreSQL refuses NUL in text
        if isinstance(value, bool | int | float | str) and name:
            fields.append((name[:MAX_FIELD_NAME], clip(str(value), MAX_FIELD_VALUE)))
    return fields


def form_submission_record(*, site, email, form_name, fields, consent, consent_text, download, page_url,
                           visitor_id, bot, now):
    """A form post from a tracked site: a form_submit (or download) touch, a contact for a new address.

    A new contact's consent is opt_in (source: the form and site, plus the
    consent text the form showed; time: now) only when the form records
    consent, otherwise none. An existing contact's consent only moves
    forward (none → opt_in); an opt-out stands. A post that looks like a bot
    creates no contact, and is stored flagged for a known one. The visitor id
    (t.js's cookie) is identified as the contact: its anonymous page views
    are merged. Returns the contact, or None when nothing was written.
    """
    email = normalize_email(email)
    # Evidence stored with the contact, in one language whoever reads it later (not translated).
    source = f"web form “{form_name}” on {site.name}"
    if consent_text:
        source = f"{source}: {consent_text}"
    source = source[:200]
    with transaction.atomic():
        contact = Contact.objects.filter(email=email).first()
        if contact is None:
            if bot:
                return None
            contact = _contact_create(email=email, consent=consent, source=source, now=now)
        elif consent and contact.consent == ConsentState.NONE:
            if Contact.objects.filter(pk=contact.pk, consent=ConsentState.NONE).update(
                    consent=ConsentState.OPT_IN, consent_source=source, consent_at=now, updated_at=now):
                contact_facts_changed_notify([contact.pk])
        detail = f"{form_name}: " + "; ".join(f"{name}={value}" for name, value in fields) if fields else form_name
        records = [touch_record(contact_id=contact.pk, kind=TouchKind.DOWNLOAD if download else TouchKind.FORM_SUBMIT,
                                occurred_at=now, url=page_url, detail=detail[:MAX_DETAIL], source=TouchSource.TRACKING,
                                bot=bot)]
        if visitor_id and not bot:
            records.append(identify_record(site_id=site.id, visitor_id=visitor_id, contact_id=contact.pk,
                                           occurred_at=now))
        records_store(records, now=now)
    return contact


def _contact_create(*, email, consent, source, now):
    fields = {"consent": ConsentState.OPT_IN, "consent_source": source, "consent_at": now} if consent else {}
    try:
        with transaction.atomic():
            contact = Contact.objects.create(email=email, acquired_at=workspace_today(now=now), **fields)
    except IntegrityError:  # the same address posted twice at once: the other request created it
        return Contact.objects.get(email=email)
    contact_facts_changed_notify([contact.pk])
    return contact


def client_event_fingerprint(*, contact_id, client_event_id):
    """The fingerprint of an API event that names its own id: a retried call is one event."""
    raw = "\x1f".join(["client-event", str(contact_id), client_event_id])
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()
