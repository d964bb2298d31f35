"""Pure predicates for alerts: no I/O, no clock (callers pass `now`)."""
import hashlib
import hmac
from datetime import timedelta

from contacts.models import TouchKind
from dormancy.rules import explain_membership, is_member

# Webhook and email retries: after the 1st failed attempt wait 30 s, then 2 min, 10 min, 1 h; then give up.
RETRY_DELAYS = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(hours=1))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1

PAGE_KINDS = (TouchKind.PAGE_VIEW, TouchKind.DOWNLOAD)
REPLY_KINDS = (TouchKind.REPLY, TouchKind.FORM_SUBMIT)
EMAIL_KINDS = (TouchKind.EMAIL_CLICK, TouchKind.EMAIL_OPEN)


def next_attempt_at(attempts, now):
    """When to try again after `attempts` failed attempts, or None to give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + RETRY_DELAYS[attempts - 1]


def url_matches(url, patterns):
    lowered = (url or "").lower()
    return any(pattern in lowered for pattern in patterns)


def touches_before(summary, batch_kinds, previous_touch_at):
    """Each kind's latest counted touch as it stood before this batch: {kind: datetime}.

    `summary` is the stored ContactTouchSummary (already moved by the batch),
    `batch_kinds` the kinds this batch brought for the contact, and
    `previous_touch_at` the contact's last counted touch of any kind before
    the batch (from the signal). Kinds the batch did not bring are as stored.
    For a kind it did bring, the old value is unknown but at most
    previous_touch_at, so that bound stands in: it can only make the contact
    look less silent, never dormant when it was not.
    """
    before = {kind: at for kind, at in summary.items() if kind not in batch_kinds}
    if previous_touch_at is not None:
        for kind in batch_kinds:
            before[kind] = previous_touch_at
    if previous_touch_at is None:
        # No counted touch before the batch at all.
        return {}
    return {kind: at for kind, at in before.items() if at <= previous_touch_at}


def dormant_before(rule, contact, *, today, tz, touches, definition=None):
    """Whether `contact` matched `rule` on `today` with `touches` (see touches_before) as its touches;
    `definition`: the rule's clean_definition, when the caller checked it once for a batch."""
    return is_member(explain_membership(rule, contact, today=today, tz=tz, touches=touches, definition=definition))


def webhook_signature(secret, timestamp, body):
    """sha256=HMAC-SHA256(secret, "<timestamp>." + body), hex: binds the time so a captured call cannot be replayed."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()
