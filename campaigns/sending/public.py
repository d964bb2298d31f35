"""What recipients and mail providers do through Rekindle's public endpoints (/m/…), as services.

A delivery's opaque token (Delivery.token: random, unguessable, never the
primary key) is the only key. Lookups accept only well-formed tokens of
deliveries that were handed to SMTP (sent, or unknown after a crash), so a
token that was never in a message finds nothing. Nothing here trusts the
request for a destination: a click redirects to the URL stored at send time.

Short of unsubscribing, a recipient can pause all marketing mail for 3 or 6
months or stop single topics (MailTopic): both leave the consent record as it
is, and the claim honours them.

An unsubscribe is not interest, so it records no touch. Opens and clicks
become touches through tracking (tracking.views_public serves the pixel and
the redirect, with `looks_like_bot` from here), flagged as
bots (kept but not counted) when they come from a HEAD request, a known link
scanner, or within seconds of sending.
"""
import calendar
import hashlib
import hmac
import re
from datetime import timedelta

from django.db import transaction
from django.db.models import Q

from campaigns.models import (
    ContactMailPreference,
    ContactTopicOptOut,
    Delivery,
    DeliveryStatus,
    MailTopic,
    SkipReason,
    Suppression,
    SuppressionReason,
)
from campaigns.signals import addresses_suppressed_notify
from contacts.models import ConsentState, Contact
from contacts.rules import is_valid_email, normalize_email
from contacts.services import contact_facts_changed_notify

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
BOT_SECONDS = 10
MAX_USER_AGENT = 500
PAUSE_MONTHS = (3, 6)
MAX_TOPICS = 50  # topic keys read from one form post; the page never shows more
# Link scanners and security gateways that fetch every URL in a message before (or instead of) a person.
# Plain substrings of the lower-cased agent (one C-level search each: a case-insensitive alternation regex cost
# more than the rest of the open pixel's request), plus "bot" as a word's end.
SCANNER_WORDS = ("crawler", "spider", "preview", "scan", "barracuda", "proofpoint", "mimecast", "safelinks",
                 "urldefense", "symantec", "trendmicro", "trend micro", "forcepoint", "sophos", "fortinet", "cisco",
                 "ironport", "messagelabs", "python-requests", "python-urllib", "curl/", "wget/", "go-http-client",
                 "headlesschrome", "phantomjs", "libwww", "java/", "okhttp")
_BOT_WORD = re.compile(r"bot\b")


def looks_like_scanner(user_agent):
    agent = user_agent.lower()
    return any(word in agent for word in SCANNER_WORDS) or ("bot" in agent and bool(_BOT_WORD.search(agent)))


def delivery_by_token(token):
    """The sent (or possibly sent) delivery behind a public token, or None."""
    if not token or not TOKEN_RE.match(token):
        return None
    return (Delivery.objects.select_related("contact", "step__campaign__sender", "step__campaign__topic",
                                            "step__template")
            .filter(token=token, status__in=[DeliveryStatus.SENT, DeliveryStatus.UNKNOWN]).first())


def looks_like_bot(*, method, user_agent, sent_at, now):
    if method == "HEAD" or not user_agent or looks_like_scanner(user_agent):
        return True
    return sent_at is not None and now - sent_at < timedelta(seconds=BOT_SECONDS)


# -- unsubscribe, pause and topics ----------------------------------------------


def contact_unsubscribe(*, delivery, now, source):
    """Opt the contact out of all marketing mail at once; idempotent. Returns True when this call changed it.

    Consent becomes opted_out with `source` and the time as evidence, the
    address goes on the suppression list, and the contact's queued mail is
    dropped (the claim would drop it anyway; this makes it visible now).
    """
    contact = delivery.contact
    with transaction.atomic():
        changed = Contact.objects.filter(pk=contact.pk).exclude(consent=ConsentState.OPTED_OUT).update(
            consent=ConsentState.OPTED_OUT, consent_source=source[:200], consent_at=now, updated_at=now)
        addresses_suppress({contact.email, delivery.to_email}, reason=SuppressionReason.UNSUBSCRIBED,
                           detail=f"{source} (delivery {delivery.pk})")
        Delivery.objects.filter(contact_id=contact.pk, status=DeliveryStatus.QUEUED).update(
            status=DeliveryStatus.SUPPRESSED, reason=SkipReason.UNSUBSCRIBED, lease_until=None, updated_at=now)
        if changed:
            contact_facts_changed_notify([contact.pk])
    return bool(changed)


def contact_pause(*, delivery, months, now):
    """No marketing mail for `months` calendar months (3 or 6); the consent record is left as it is."""
    if months not in PAUSE_MONTHS:
        raise ValueError(f"pause of {months} months")
    until = add_months(now, months)
    ContactMailPreference.objects.update_or_create(contact_id=delivery.contact_id,
                                                   defaults={"paused_until": until})
    return until


def topics_offered(delivery):
    """The topics the page offers: the active ones, and this mail's own topic even if it was retired since."""
    offered = Q(is_active=True)
    if delivery.step.campaign.topic_id:
        offered |= Q(pk=delivery.step.campaign.topic_id)
    return list(MailTopic.objects.filter(offered).order_by("position", "id"))


def topics_opted_out(contact_id):
    """Ids of the topics the contact opted out of."""
    return set(ContactTopicOptOut.objects.filter(contact_id=contact_id).values_list("topic_id", flat=True))


def contact_topics_choose(*, delivery, shown, kept):
    """Apply the topic section of the page: of the topics `shown` (keys), those not `kept` become opt-outs.

    Only topics the page offers now count, so a stale or forged form changes
    nothing else; a topic kept again loses its opt-out. Idempotent. Returns
    (kept topics, opted-out topics), each in page order.
    """
    shown, kept = set(shown[:MAX_TOPICS]), set(kept[:MAX_TOPICS])
    topics = [topic for topic in topics_offered(delivery) if topic.key in shown]
    keep = [topic for topic in topics if topic.key in kept]
    drop = [topic for topic in topics if topic.key not in kept]
    with transaction.atomic():
        ContactTopicOptOut.objects.filter(contact_id=delivery.contact_id, topic__in=keep).delete()
        ContactTopicOptOut.objects.bulk_create([ContactTopicOptOut(contact_id=delivery.contact_id, topic=topic)
                                                for topic in drop], ignore_conflicts=True)
    return keep, drop


def add_months(moment, months):
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def addresses_suppress(emails, *, reason, detail=""):
    rows = [Suppression(email=email, reason=reason, detail=detail[:500])
            for email in sorted({normalize_email(raw) for raw in emails if raw}) if is_valid_email(email)]
    Suppression.objects.bulk_create(rows, ignore_conflicts=True)
    addresses_suppressed_notify(row.email for row in rows)
    return len(rows)


# -- provider events -------------------------------------------------------------------------


def webhook_signature_valid(body, signature, secret):
    """HMAC-SHA256 of the raw body with the shared secret, hex, optionally prefixed "sha256="; constant time."""
    if not secret or not signature:
        return False
    given = signature.strip().removeprefix("sha256=")
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(given.encode(), expected.encode())


PROVIDER_EVENTS = {"bounce": SuppressionReason.BOUNCED, "complaint": SuppressionReason.COMPLAINED,
                   "unsubscribe": SuppressionReason.UNSUBSCRIBED}
SOFT_BOUNCES = {"soft", "transient", "temporary"}


def provider_event_apply(*, email, kind, bounce_type="", detail="", now):
    """Suppress an address a provider reported (hard bounce, complaint, unsubscribe); returns True if applied.

    A complaint or an unsubscribe also opts the contact out (the evidence is
    the provider's report); a bounce says nothing about consent.
    """
    email = normalize_email(email)
    if kind not in PROVIDER_EVENTS or not is_valid_email(email) or bounce_type.lower() in SOFT_BOUNCES:
        return False
    reason = PROVIDER_EVENTS[kind]
    with transaction.atomic():
        addresses_suppress({email}, reason=reason, detail=f"provider {kind}: {detail}")
        if reason != SuppressionReason.BOUNCED:
            ids = list(Contact.objects.filter(email=email).exclude(consent=ConsentState.OPTED_OUT)
                       .values_list("id", flat=True))
            Contact.objects.filter(id__in=ids).update(consent=ConsentState.OPTED_OUT, consent_at=now, updated_at=now,
                                                      consent_source=f"mail provider: {kind}")
            contact_facts_changed_notify(ids)
    return True
