"""Signed open-pixel and click URLs: the request proves which delivery it is about without a database read.

    /m/p/<delivery>-<contact>-<issued>-<mac>.gif         open pixel
    /m/r/<delivery>-<contact>-<issued>-<mac>/<target>    click; target = the destination, base64url

Ids and the issue time (epoch seconds, when the message was rendered, just
before it was sent) are hex. The MAC is HMAC-SHA256 under a key derived
from SECRET_KEY (or one of SECRET_KEY_FALLBACKS, so a key rotation does not
break mail already sent), over the purpose, the ids and, for a click, the
destination: a changed id, time or URL does not verify, so nothing from the
request becomes a redirect target or an identity. 96 bits of MAC, cut to 16
base64url characters.

The tracking drain still checks each event against its delivery row in bulk
(it must exist, belong to that contact and have been sent) and applies the
exact seconds-after-sending bot rule there. A destination longer than
MAX_SIGNED_URL keeps the stored-link form /m/c/<token>/<n>.
"""
import base64
import binascii
import hashlib
import hmac
import re
from functools import lru_cache

from django.conf import settings

MAX_SIGNED_URL = 1000
_MAC_CHARS = 16
KEY = r"(?P<key>[0-9a-f]{1,16}-[0-9a-f]{1,16}-[0-9a-f]{1,12}-[A-Za-z0-9_-]{16})"
TARGET = r"(?P<target>[A-Za-z0-9_-]{4,1400})"
_KEY_RE = re.compile(KEY + r"\Z")


@lru_cache(maxsize=8)
def _derived(secret):
    return hashlib.sha256(b"rekindle.signed-links:" + secret.encode()).digest()


def _mac(secret, message):
    digest = hmac.new(_derived(secret), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:_MAC_CHARS]


def _secrets():
    return (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ()))


def _ids(delivery_id, contact_id, issued):
    return f"{delivery_id:x}-{contact_id:x}-{int(issued):x}"


def open_path(delivery_id, contact_id, issued):
    ids = _ids(delivery_id, contact_id, issued)
    return f"/m/p/{ids}-{_mac(settings.SECRET_KEY, 'open:' + ids)}.gif"


def click_path(delivery_id, contact_id, issued, url):
    """The click path for `url`, or None when the URL is too long to carry (use the stored-link form)."""
    if len(url) > MAX_SIGNED_URL:
        return None
    ids = _ids(delivery_id, contact_id, issued)
    target = base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")
    return f"/m/r/{ids}-{_mac(settings.SECRET_KEY, f'click:{ids}:{url}')}/{target}"


def _verified(key, purpose):
    """(delivery id, contact id, issued epoch seconds) when `key` carries a valid MAC for `purpose`, else None."""
    if not key or not _KEY_RE.match(key):
        return None
    delivery, contact, issued, mac = key.split("-", 3)
    ids = f"{delivery}-{contact}-{issued}"
    message = purpose(ids)
    if not any(hmac.compare_digest(mac, _mac(secret, message)) for secret in _secrets()):
        return None
    return int(delivery, 16), int(contact, 16), int(issued, 16)


def open_read(key):
    return _verified(key, lambda ids: "open:" + ids)


def click_read(key, target):
    """(delivery id, contact id, issued, url) of a valid click path, else None."""
    if not target or len(target) > 1400:
        return None
    try:
        url = base64.urlsafe_b64decode(target + "=" * (-len(target) % 4)).decode()
    except (binascii.Error, ValueError):
        return None
    found = _verified(key, lambda ids: f"click:{ids}:{url}")
    return (*found, url) if found else None
