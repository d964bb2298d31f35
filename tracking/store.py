"""Writing buffered tracking records to the database, a batch at a time, set-based.

Three record shapes (compact JSON, see tracking.records): a touch of a known
contact ("t": opens, clicks, form submits, API events), a page view ("pv":
with a contact from a valid token, or a visitor id only) and an
identification ("id": a form submit told us who a visitor id is).

`records_store` is idempotent, so the buffer may deliver a batch twice: touch
events dedupe on their fingerprint, anonymous page views on their record id
(INSERT … ON CONFLICT DO NOTHING). Only the events this call inserted are
announced: `touch_events_stored` (with each contact's last counted touch read
before the batch moved it), then `contact_facts_changed`, both after commit.
"""
import logging

from django.db import connection, transaction
from django.utils import timezone

from campaigns.models import DeliveryStatus
from campaigns.sending.public import BOT_SECONDS
from contacts.models import Contact, TouchKind, TouchSource
from contacts.services import (
    contact_facts_changed_notify,
    event_fingerprint,
    touch_events_stored_notify,
    touch_summaries_advance,
)
from contacts.signals import StoredTouch

from .models import AnonymousPageView, TrackingSite, VisitorIdentity
from .records import MAX_DETAIL, decode, page_view_detail
from .selectors import SIGNED_TRACKED_STATES, deliveries_for_events

logger = logging.getLogger(__name__)
INSERT_CHUNK = 500
_COLUMNS = ("contact_id", "kind", "occurred_at", "url", "detail", "source", "flagged_as_bot", "fingerprint",
            "created_at")


_PG_INSERT = f"""
INSERT INTO contacts_touchevent ({", ".join(_COLUMNS)})
SELECT c, k, o, u, d, s, b, f, %s FROM unnest(%s::bigint[], %s::varchar[], %s::timestamptz[], %s::varchar[],
                                             %s::varchar[], %s::varchar[], %s::boolean[], %s::varchar[])
  AS t(c, k, o, u, d, s, b, f)
ON CONFLICT (fingerprint) DO NOTHING RETURNING id, fingerprint
"""  # noqa: S608 - column names are constants


class _Row:
    """One touch event about to be inserted (the shape touch_summaries_advance and StoredTouch read)."""

    __slots__ = ("contact_id", "detail", "fingerprint", "flagged_as_bot", "kind", "occurred_at", "source", "url")

    def __init__(self, *, contact_id, kind, occurred_at, url="", detail="", source=TouchSource.TRACKING,
                 flagged_as_bot=False, fingerprint=None):
        self.contact_id, self.kind, self.occurred_at = contact_id, kind, occurred_at
        self.url, self.detail, self.source, self.flagged_as_bot = url[:2000], detail[:1000], source, flagged_as_bot
        self.fingerprint = fingerprint or event_fingerprint(contact_id=contact_id, kind=kind, occurred_at=occurred_at,
                                                            url=self.url, detail=self.detail)


def records_store(raw_records, *, now):
    """Store a batch of buffered records (bytes or dicts); returns the set of fingerprints it inserted."""
    records = [record for record in map(decode, raw_records) if record is not None]
    if not records:
        return set()
    with transaction.atomic():
        return _store(records, now=now)


def _store(records, *, now):
    contact_ids = {record["c"] for record in records if record.get("c")}
    existing = set(Contact.objects.filter(id__in=contact_ids).values_list("id", flat=True)) if contact_ids else set()
    site_ids = {record["site"] for record in records if record["k"] != "t"}
    if site_ids:  # a site deleted since the request: its records go with it
        sites = set(TrackingSite.objects.filter(id__in=site_ids).values_list("id", flat=True))
        records = [record for record in records if record["k"] == "t" or record["site"] in sites]
    records = _campaign_details(records)
    identified = _identify(records, existing)
    rows = [_touch_row(record) for record in records if record["k"] == "t" and record["c"] in existing]
    rows += _page_views(records, existing, identified, now=now)
    rows += _merge_anonymous(identified)
    return _insert_events(rows)


def _campaign_details(records):
    """Opens and clicks carry their delivery, read once per batch: the detail becomes the campaign's name, and a
    signed open or click (`rq`, see tracking.records) is checked against it here rather than in its request.

    A signed record whose delivery is gone, of another contact, or not sent is
    dropped. One sent less than BOT_SECONDS before the request is flagged (the
    request flagged it already from the URL's issue time when it could); one
    still `sending` (its outcome not written yet) was, by the same rule.
    """
    wanted = {record["dl"] for record in records if record["k"] == "t" and record.get("dl")}
    if not wanted:
        return records
    deliveries = deliveries_for_events(wanted)
    kept = []
    for record in records:
        if record["k"] != "t" or not record.get("dl"):
            kept.append(record)
            continue
        found = deliveries.get(record["dl"])
        if record.get("rq") is not None:
            if found is None or found.contact_id != record["c"] or found.status not in SIGNED_TRACKED_STATES:
                logger.info("tracking: dropping a signed %s of delivery %s (%s)", record["kind"], record["dl"],
                            "gone" if found is None else found.status)
                continue
            if found.status == DeliveryStatus.SENDING or (
                    found.sent_at is not None and record["rq"] - found.sent_at.timestamp() < BOT_SECONDS):
                record["b"] = True
        if found is not None and not record["d"]:
            record["d"] = (found.campaign_name or "")[:MAX_DETAIL]
        kept.append(record)
    return kept


def _touch_row(record):
    return _Row(contact_id=record["c"], kind=record["kind"], occurred_at=record["at"], url=record["u"],
                detail=record["d"], source=record["s"], flagged_as_bot=record["b"], fingerprint=record.get("f"))


def _identify(records, existing):
    """Visitor ids that a valid token or a form named in this batch: {(site, visitor): contact}, stored."""
    latest = {}
    for record in records:
        if record["k"] in ("pv", "id") and record.get("c") in existing and record.get("v"):
            key = (record["site"], record["v"])
            if key not in latest or record["at"] >= latest[key][1]:
                latest[key] = (record["c"], record["at"])
    if latest:
        VisitorIdentity.objects.bulk_create(
            [VisitorIdentity(site_id=site, visitor_id=visitor, contact_id=contact, identified_at=at)
             for (site, visitor), (contact, at) in latest.items()],
            update_conflicts=True, unique_fields=["site", "visitor_id"], update_fields=["contact", "identified_at"])
    return {key: contact for key, (contact, _at) in latest.items()}


def _known_visitors(pairs):
    if not pairs:
        return {}
    query = VisitorIdentity.objects.filter(visitor_id__in={visitor for _site, visitor in pairs})
    return {(site, visitor): contact for site, visitor, contact
            in query.values_list("site_id", "visitor_id", "contact_id") if (site, visitor) in pairs}


def _page_views(records, existing, identified, *, now):
    """Touch rows for page views of known contacts (by token, or by a visitor id known before or in this batch);
    the others are kept as anonymous page views."""
    views = [record for record in records if record["k"] == "pv"]
    anonymous = [record for record in views if record.get("c") not in existing]
    known = {**_known_visitors({(record["site"], record["v"]) for record in anonymous if record.get("v")}),
             **identified}
    rows, keep = [], []
    for record in views:
        contact = record["c"] if record.get("c") in existing else known.get((record["site"], record.get("v")))
        if contact:
            rows.append(_Row(contact_id=contact, kind=TouchKind.PAGE_VIEW, occurred_at=record["at"], url=record["u"],
                             detail=page_view_detail(record["ti"], record["r"]), flagged_as_bot=record["b"]))
        elif record.get("v"):
            keep.append(AnonymousPageView(
                site_id=record["site"], visitor_id=record["v"], record_id=record["id"], occurred_at=record["at"],
                url=record["u"], title=record["ti"], referrer=record["r"], user_agent=record["ua"],
                flagged_as_bot=record["b"]))
    if keep:
        AnonymousPageView.objects.bulk_create(keep, ignore_conflicts=True)
    return rows


def _merge_anonymous(identified):
    """The earlier anonymous page views of the visitors identified now, as their contacts' touches (then gone)."""
    if not identified:
        return []
    # Both lists as `= ANY(array)` on the (site, visitor) index, the exact pairs picked here: an OR of one
    # (site AND visitor) term per pair costs the planner more than the rows, and with stale statistics
    # PostgreSQL scanned every anonymous view of the site with it (131 ms against 15 ms for 100 visitors).
    views = [view for view in AnonymousPageView.objects.filter(
        site_id__in={site for site, _visitor in identified},
        visitor_id__in={visitor for _site, visitor in identified}).order_by("occurred_at")
        if (view.site_id, view.visitor_id) in identified]
    if not views:
        return []
    AnonymousPageView.objects.filter(id__in=[view.id for view in views]).delete()
    return [_Row(contact_id=identified[(view.site_id, view.visitor_id)], kind=TouchKind.PAGE_VIEW,
                 occurred_at=view.occurred_at, url=view.url, detail=page_view_detail(view.title, view.referrer),
                 flagged_as_bot=view.flagged_as_bot) for view in views]


def _insert_events(rows):
    """INSERT … ON CONFLICT (fingerprint) DO NOTHING RETURNING: the new events are announced, duplicates not."""
    unique = list({row.fingerprint: row for row in rows}.values())
    if not unique:
        return set()
    contact_ids = sorted({row.contact_id for row in unique})
    previous = dict(Contact.objects.filter(id__in=contact_ids).values_list("id", "last_touch_at"))
    adapt = connection.ops.adapt_datetimefield_value
    created_at = adapt(timezone.now())
    inserted = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement of ten array parameters: cheap to send and to plan, whatever the batch size.
            columns = list(zip(*[(row.contact_id, row.kind, row.occurred_at, row.url, row.detail, row.source,
                                  row.flagged_as_bot, row.fingerprint) for row in unique], strict=True))
            cursor.execute(_PG_INSERT, [timezone.now(), *[list(column) for column in columns]])
            inserted.update({fingerprint: event_id for event_id, fingerprint in cursor.fetchall()})
        else:
            for start in range(0, len(unique), INSERT_CHUNK):
                chunk = unique[start : start + INSERT_CHUNK]
                values = ", ".join(["(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"] * len(chunk))
                params = [value for row in chunk for value in (
                    row.contact_id, row.kind, adapt(row.occurred_at), row.url, row.detail, row.source,
                    row.flagged_as_bot, row.fingerprint, created_at)]
                cursor.execute(f"INSERT INTO contacts_touchevent ({', '.join(_COLUMNS)}) VALUES {values} "  # noqa: S608
                               "ON CONFLICT (fingerprint) DO NOTHING RETURNING id, fingerprint", params)
                inserted.update({fingerprint: event_id for event_id, fingerprint in cursor.fetchall()})
    new = [row for row in unique if row.fingerprint in inserted]
    if new:
        touch_summaries_advance(new)
        touch_events_stored_notify([StoredTouch(
            event_id=inserted[row.fingerprint], contact_id=row.contact_id, kind=row.kind, occurred_at=row.occurred_at,
            url=row.url, detail=row.detail, source=row.source, flagged_as_bot=row.flagged_as_bot,
            previous_touch_at=previous.get(row.contact_id)) for row in new])
        contact_facts_changed_notify({row.contact_id for row in new}, touches_only=True)
    return set(inserted)
