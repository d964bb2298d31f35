"""Signed contact tokens (`rk`): which contact a visitor on a customer's site is.

A click on a link in our mail to a tracked site appends the token; t.js keeps
it in a first-party cookie and sends it with each page view. The token is the
contact id signed with SECRET_KEY under its own salt with a timestamp
(django.core.signing, constant-time check), so it cannot be forged, altered
or truncated into another contact's. `_now` is the hook that makes expiry
testable, as in django/contrib/auth/tokens.py.
"""
import time

from django.conf import settings
from django.core import signing

SALT = "rekindle.tracking.contact-token"
MAX_TOKEN_LENGTH = 120


def _now():
    return time.time()


class _Signer(signing.TimestampSigner):
    def timestamp(self):
        return signing.b62_encode(int(_now()))


def contact_token_make(contact_id):
    return _Signer(salt=SALT).sign(signing.b62_encode(int(contact_id)))


def contact_token_read(token):
    """The contact id in a valid, unexpired token; None for anything else (never raises)."""
    if not token or not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        return None
    signer = _Signer(salt=SALT)
    try:
        # The signature is checked first (constant time): nothing below trusts the payload before it.
        value = signer.unsign(token)
        stamp = signing.b62_decode(token.rsplit(signer.sep, 2)[1])
        contact_id = signing.b62_decode(value)
    except (signing.BadSignature, ValueError, IndexError):
        return None
    if _now() - stamp > settings.TRACKING_TOKEN_MAX_AGE_DAYS * 86400 or contact_id <= 0:
        return None
    return contact_id
