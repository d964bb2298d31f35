"""Read-only lookups of tracking, with a short per-process cache on the hot public paths.

Every beacon names its site by key and every click asks whether its
destination is a tracked site: a few seconds of cache per process turns those
into dictionary lookups. An edited site takes effect within
TRACKING_SITE_CACHE_SECONDS.
"""
import time
from dataclasses import dataclass
from datetime import UTC
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection
from django.utils import timezone

from campaigns.models import Delivery, DeliveryLink, DeliveryStatus
from campaigns.sending.message import safe_http_url
from campaigns.sending.public import TOKEN_RE

from .models import AnonymousPageView, TrackingSite

TRACKED_DELIVERY_STATES = (str(DeliveryStatus.SENT), str(DeliveryStatus.UNKNOWN))


@dataclass(frozen=True)
class SiteInfo:
    id: int
    name: str
    origins: frozenset


_cache = {"until": 0.0, "by_key": {}, "origins": frozenset()}


def cache_clear():
    _cache["until"] = 0.0


def _load():
    if time.monotonic() < _cache["until"]:
        return _cache
    by_key = {site.key: SiteInfo(site.pk, site.name, frozenset(site.allowed_origins or ()))
              for site in TrackingSite.objects.filter(is_active=True).only("id", "key", "name", "allowed_origins")}
    _cache.update(by_key=by_key, origins=frozenset().union(*(info.origins for info in by_key.values())),
                  until=time.monotonic() + settings.TRACKING_SITE_CACHE_SECONDS)
    return _cache


def active_site(key):
    """The active site with this public key, or None."""
    if not key or not isinstance(key, str) or len(key) > 64:
        return None
    return _load()["by_key"].get(key)


def origin_of(url):
    """scheme://host[:port] of a URL, lower-cased; "" for anything that is not http(s)."""
    try:
        parts = urlsplit(url or "")
        port = parts.port
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    default = {"http": 80, "https": 443}[parts.scheme]
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def origin_is_tracked(origin):
    """True when an active site lists this origin (the click adds the contact token only there)."""
    return bool(origin) and origin in _load()["origins"]


def site_list():
    return list(TrackingSite.objects.order_by("name", "id"))


def recent_anonymous_views(site, *, limit=20):
    return list(AnonymousPageView.objects.filter(site=site).order_by("-occurred_at", "-id")[:limit])


# The two queries every open and click runs: raw SQL on purpose, the ORM's query building costs three times the
# query itself here. Table names come from the models; the values are bound parameters.
_OPEN_SQL = "SELECT contact_id, sent_at, id FROM {delivery} WHERE token = %s AND status IN (%s, %s)"
_CLICK_SQL = ("SELECT l.url, d.contact_id, d.sent_at, d.id FROM {link} l JOIN {delivery} d ON d.id = l.delivery_id "
              "WHERE d.token = %s AND d.status IN (%s, %s) AND l.position = %s")


def _one(sql, params, *, sent_at):
    """The first row; its `sent_at` column made aware (SQLite hands raw queries naive UTC datetimes)."""
    with connection.cursor() as cursor:
        cursor.execute(sql.format(delivery=Delivery._meta.db_table, link=DeliveryLink._meta.db_table), params)
        row = cursor.fetchone()
    if row is None or row[sent_at] is None or not timezone.is_naive(row[sent_at]):
        return row
    return (*row[:sent_at], row[sent_at].replace(tzinfo=UTC), *row[sent_at + 1 :])


def delivery_for_open(token):
    """(contact id, sent at, delivery id) of a sent delivery by its public token, or None: one indexed query."""
    if not token or not TOKEN_RE.match(token):
        return None
    return _one(_OPEN_SQL, [token, *TRACKED_DELIVERY_STATES], sent_at=1)


def delivery_link_for_click(token, position):
    """(url, contact id, sent at, delivery id) of link `position` of a sent delivery, or None: one query.

    Only a URL stored at send time that is still a plain http(s) URL: nothing
    from the request ever becomes the destination.
    """
    if not token or not TOKEN_RE.match(token) or not 0 < position <= 32767:
        return None
    row = _one(_CLICK_SQL, [token, *TRACKED_DELIVERY_STATES, position], sent_at=2)
    return row if row and safe_http_url(row[0]) else None


@dataclass(frozen=True)
class EventDelivery:
    contact_id: int
    status: str
    sent_at: object
    campaign_name: str


# A signed open or click counts for a delivery sent, or interrupted mid-send (unknown), or still `sending`: its
# outcome is written with the next chunk's claim, and the mail may be out already (flagged as a bot: seconds old).
SIGNED_TRACKED_STATES = (*TRACKED_DELIVERY_STATES, str(DeliveryStatus.SENDING))


def deliveries_for_events(delivery_ids):
    """{delivery id: EventDelivery}: what the drain needs of the deliveries a batch of opens and clicks names."""
    rows = Delivery.objects.filter(id__in=delivery_ids).values_list("id", "contact_id", "status", "sent_at",
                                                                    "step__campaign__name")
    return {pk: EventDelivery(contact_id, status, sent_at, name) for pk, contact_id, status, sent_at, name in rows}
