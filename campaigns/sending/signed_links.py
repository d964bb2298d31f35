"""Signed open-pixel and click URLs: the request proves which delivery it is about without a database read.

    /m/p/v<blob>-<mac>.gif          open pixel
    /m/r/v<blob>-<mac>/<target>     click; target = the destination, base64url

e.g. /m/p/vXdPqby3Gnla-Jbai8w7wJg-ubm06gjFFD_vO4bs.gif (the blob may hold a "-" too: it is 22 characters)

The ids in the path are opaque (RELIABILITY.md: ids in public links are never
sequential database ids). The blob is 128 bits, 22 base64url characters:

    delivery id (48 bits) | contact id (40 bits) | issued, epoch seconds (40 bits)

put through a keyed pseudorandom permutation: a 4-round Feistel network over
two 64-bit halves whose round function is HMAC-SHA256 (cut to 64 bits) under
a per-round key derived from the secret ("rekindle.signed-links.permute:<n>:",
a label apart from the MAC key's). Consecutive deliveries give unrelated
blobs, and the blob says nothing of the database's size or order. `issued`
is when the message was rendered, just before it was sent. A value that does
not fit (a negative one, or past 2**48 / 2**40 / 2**40) gets no signed path:
open_path and click_path return None and the sender uses the stored-token
form (/m/o/<token>.gif, /m/c/<token>/<n>), as it does for a destination
longer than MAX_SIGNED_URL.

The MAC is HMAC-SHA256 under a key derived from the secret, over the purpose,
the key text before the MAC (the "v" and the blob, character for character)
and, for a click, the destination: 96 bits, 16 base64url characters. A
request checks the MAC first, in constant time, under SECRET_KEY and each of
SECRET_KEY_FALLBACKS (a key rotation does not break mail already sent), then
decrypts the blob with the permutation key of the secret that verified: a
changed blob, time or URL does not verify, so nothing from the request
becomes a redirect target or an identity.

Mail sent before the opaque form carries the legacy form, hex ids in clear,
and is still accepted (it is in people's inboxes):

    /m/p/<delivery>-<contact>-<issued>-<mac>.gif
    /m/r/<delivery>-<contact>-<issued>-<mac>/<target>

with the MAC under the same key over "open:" / "click:" + "<delivery>-<contact>-<issued>" (+ ":<url>").
KEY matches both forms without ambiguity: a legacy key starts with a
lowercase hex digit, an opaque one with "v".

The tracking drain still checks each event against its delivery row in bulk
(it must exist, belong to that contact and have been sent) and applies the
exact seconds-after-sending bot rule there.
"""
import base64
import binascii
import hashlib
import hmac
import re
from functools import lru_cache

from django.conf import settings

MAX_SIGNED_URL = 1000
DELIVERY_BITS, CONTACT_BITS, ISSUED_BITS = 48, 40, 40  # 128 bits: one Feistel block
_DELIVERY_END, _CONTACT_END, _ISSUED_END = 1 << DELIVERY_BITS, 1 << CONTACT_BITS, 1 << ISSUED_BITS
_ROUNDS = 4
_HALF = (1 << 64) - 1
_MAC_BYTES = 12  # 96 bits = 16 base64url characters, no padding
_OPAQUE = r"v[A-Za-z0-9_-]{22}-[A-Za-z0-9_-]{16}"
_LEGACY = r"[0-9a-f]{1,16}-[0-9a-f]{1,16}-[0-9a-f]{1,12}-[A-Za-z0-9_-]{16}"
KEY = rf"(?P<key>{_OPAQUE}|{_LEGACY})"
TARGET = r"(?P<target>[A-Za-z0-9_-]{4,1400})"
_KEY_RE = re.compile(KEY + r"\Z")
_IPAD = bytes(byte ^ 0x36 for byte in range(256))
_OPAD = bytes(byte ^ 0x5C for byte in range(256))


def _hmac_state(key):
    """HMAC-SHA256 under `key` (32 bytes) with its inner and outer pads hashed once: hmac.digest sets up an
    OpenSSL HMAC context per call, 4 times the cost of copying these two states (the request does 5 of them)."""
    padded = key.ljust(64, b"\0")
    return hashlib.sha256(padded.translate(_IPAD)), hashlib.sha256(padded.translate(_OPAD))


def _hmac(state, message):
    inner, outer = state[0].copy(), state[1].copy()
    inner.update(message)
    outer.update(inner.digest())
    return outer.digest()


@lru_cache(maxsize=8)
def _keys(secret):
    """(MAC key state, the Feistel round key states) of one secret."""
    raw = secret.encode()
    mac = _hmac_state(hashlib.sha256(b"rekindle.signed-links:" + raw).digest())
    rounds = tuple(_hmac_state(hashlib.sha256(b"rekindle.signed-links.permute:%d:" % n + raw).digest())
                   for n in range(_ROUNDS))
    return mac, rounds


def _mac(mac_key, message):
    return base64.urlsafe_b64encode(_hmac(mac_key, message.encode())[:_MAC_BYTES]).decode()


def _permute(rounds, block):
    left, right = block >> 64, block & _HALF
    for key in rounds:
        left, right = right, left ^ int.from_bytes(_hmac(key, right.to_bytes(8, "big"))[:8], "big")
    return left << 64 | right


def _unpermute(rounds, block):
    left, right = block >> 64, block & _HALF
    for key in reversed(rounds):
        left, right = right ^ int.from_bytes(_hmac(key, left.to_bytes(8, "big"))[:8], "big"), left
    return left << 64 | right


def _secrets():
    return (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ()))


def _sealed(delivery_id, contact_id, issued):
    """("v" + the opaque blob, MAC key) under SECRET_KEY, or None when a value does not fit its bits."""
    issued = int(issued)
    if not (0 <= delivery_id < _DELIVERY_END and 0 <= contact_id < _CONTACT_END and 0 <= issued < _ISSUED_END):
        return None
    mac_key, rounds = _keys(settings.SECRET_KEY)
    block = _permute(rounds, (delivery_id << CONTACT_BITS | contact_id) << ISSUED_BITS | issued)
    return "v" + base64.urlsafe_b64encode(block.to_bytes(16, "big")).decode()[:22], mac_key


def open_path(delivery_id, contact_id, issued):
    """The open-pixel path, or None when an id or the time does not fit (use the stored-token form)."""
    sealed = _sealed(delivery_id, contact_id, issued)
    if sealed is None:
        return None
    head, mac_key = sealed
    return f"/m/p/{head}-{_mac(mac_key, 'open:' + head)}.gif"


def click_path(delivery_id, contact_id, issued, url):
    """The click path for `url`, or None when the URL is too long to carry or an id or the time does not fit
    (use the stored-link form)."""
    if len(url) > MAX_SIGNED_URL:
        return None
    sealed = _sealed(delivery_id, contact_id, issued)
    if sealed is None:
        return None
    head, mac_key = sealed
    target = base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")
    return f"/m/r/{head}-{_mac(mac_key, f'click:{head}:{url}')}/{target}"


def _verified(key, purpose, suffix=""):
    """(delivery id, contact id, issued epoch seconds) when `key` carries a valid MAC for `purpose`, else None."""
    if not key or not _KEY_RE.match(key):
        return None
    head, mac = key[:-17], key[-16:]
    message = purpose + head + suffix
    for secret in _secrets():
        mac_key, rounds = _keys(secret)
        if hmac.compare_digest(mac, _mac(mac_key, message)):
            break
    else:
        return None
    if head[0] == "v":
        block = _unpermute(rounds, int.from_bytes(base64.urlsafe_b64decode(head[1:] + "=="), "big"))
        ids = block >> ISSUED_BITS
        return ids >> CONTACT_BITS, ids & (_CONTACT_END - 1), block & (_ISSUED_END - 1)
    delivery, contact, issued = head.split("-")
    return int(delivery, 16), int(contact, 16), int(issued, 16)


def open_read(key):
    return _verified(key, "open:")


def click_read(key, target):
    """(delivery id, contact id, issued, url) of a valid click path, else None."""
    if not target or len(target) > 1400:
        return None
    try:
        url = base64.urlsafe_b64decode(target + "=" * (-len(target) % 4)).decode()
    except (binascii.Error, ValueError):
        return None
    found = _verified(key, "click:", ":" + url)
    return (*found, url) if found else None
