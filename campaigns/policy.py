"""Who may get marketing mail, and when: legal basis, suppression, pauses, frequency cap, quiet hours.

Pure predicates and query builders (no writes). The same rules answer the
campaign preflight ("how many would this reach now, and why not the rest")
and the claim a worker makes right before it talks to SMTP, so the two never
disagree.

Legal basis (Japan's Act on Specified Electronic Mail, art. 3): a contact
may get marketing mail when it opted in (`consent == opt_in`, with the
source and time as evidence), or — the one exception Rekindle accepts — when
it handed over its address in writing on a business card: `consent == none`
with a `consent_source` that starts with one of BUSINESS_CARD_SOURCES
("名刺交換 2025-04", "Business card, Expo 2025"), the source being the
evidence. An opted-out contact never qualifies, whatever its source says.
"""
from datetime import datetime, time, timedelta

import jpholiday
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from contacts.models import ConsentState
from contacts.rules import normalize_email, workspace_tz

from .models import ContactMailPreference, Delivery, DeliveryStatus, SkipReason, Suppression, SuppressionReason

# Lower-cased prefixes of a consent source that records a business-card exchange.
BUSINESS_CARD_SOURCES = ("名刺交換", "名刺", "business card", "card exchange", "card_exchange")

SUPPRESSION_SKIP = {
    SuppressionReason.UNSUBSCRIBED: SkipReason.UNSUBSCRIBED,
    SuppressionReason.MANUAL: SkipReason.UNSUBSCRIBED,
    SuppressionReason.BOUNCED: SkipReason.BOUNCED,
    SuppressionReason.COMPLAINED: SkipReason.COMPLAINED,
}


# -- legal basis -------------------------------------------------------------


def legal_basis_q(prefix=""):
    """Q on Contact (or on a relation through `prefix`, e.g. "contact__") for a recorded legal basis."""
    card = Q()
    for source in BUSINESS_CARD_SOURCES:
        card |= Q(**{f"{prefix}consent_source__istartswith": source})
    return Q(**{f"{prefix}consent": ConsentState.OPT_IN}) | (Q(**{f"{prefix}consent": ConsentState.NONE}) & card)


def has_legal_basis(contact):
    if contact.consent == ConsentState.OPT_IN:
        return True
    source = (contact.consent_source or "").strip().lower()
    return contact.consent == ConsentState.NONE and source.startswith(BUSINESS_CARD_SOURCES)


# -- suppression and pauses ----------------------------------------------------


def suppression_reason_subquery(email_ref="email"):
    """The Suppression reason for the (already normalised) address in `email_ref`, or NULL."""
    return Subquery(Suppression.objects.filter(email=OuterRef(email_ref)).values("reason")[:1])


def suppressed_reason(email):
    """The SkipReason for a suppressed address, or None."""
    reason = Suppression.objects.filter(email=normalize_email(email)).values_list("reason", flat=True).first()
    return SUPPRESSION_SKIP.get(reason) if reason else None


def paused_q(now, *, contact_ref="pk"):
    """Q: the contact in `contact_ref` asked for a pause that has not ended."""
    return Q(Exists(ContactMailPreference.objects.filter(contact=OuterRef(contact_ref), paused_until__gt=now)))


def skip_reason(*, consent, has_basis, suppression, paused):
    """Why a contact gets no marketing mail now (a SkipReason), or None; the cap is left to the caller.

    The one order of reasons, shared by the claim and the preflight:
    suppression list, opt-out, no legal basis, pause.
    """
    if suppression:
        return SUPPRESSION_SKIP.get(suppression, SkipReason.UNSUBSCRIBED)
    if consent == ConsentState.OPTED_OUT:
        return SkipReason.UNSUBSCRIBED
    if not has_basis:
        return SkipReason.NO_CONSENT
    if paused:
        return SkipReason.PAUSED
    return None


# -- frequency cap -------------------------------------------------------------


def recent_sends_subquery(settings, *, now, contact_ref="pk"):
    """Marketing mails to the contact in `contact_ref` counted against the cap: sent in the window, or in flight.

    In-flight (`sending`) rows count too, so two workers claiming two
    campaigns' mail for the same contact at once cannot both pass the cap.
    """
    since = now - timedelta(days=settings.frequency_cap_days)
    counted = Delivery.objects.filter(contact=OuterRef(contact_ref)).filter(
        Q(status=DeliveryStatus.SENT, sent_at__gte=since) | Q(status=DeliveryStatus.SENDING)
    )
    return Coalesce(Subquery(counted.order_by().values("contact").annotate(n=Count("id")).values("n")[:1],
                             output_field=IntegerField()), Value(0))


def cap_enabled(settings):
    return settings.frequency_cap_count > 0 and settings.frequency_cap_days > 0


# -- quiet hours ---------------------------------------------------------------


def _quiet_window(settings):
    """(start, end) of the nightly quiet window, or None when start == end (no quiet hours)."""
    start, end = settings.quiet_start, settings.quiet_end
    return None if start == end else (start, end)


def _blocked_day(day, settings):
    return (settings.quiet_weekends and day.weekday() >= 5) or (settings.quiet_holidays and jpholiday.is_holiday(day))


def _quiet_time(clock, window):
    if window is None:
        return False
    start, end = window
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end  # wraps past midnight, e.g. 20:00–08:00


def is_quiet(moment, settings, *, tz=None):
    """True when `moment` falls in quiet hours, a weekend or a Japanese public holiday (workspace time)."""
    local = moment.astimezone(tz or workspace_tz())
    return _blocked_day(local.date(), settings) or _quiet_time(local.time(), _quiet_window(settings))


def next_allowed_slot(moment, settings, *, tz=None):
    """`moment` itself when mail may go out then, else the first moment after it when it may."""
    tz = tz or workspace_tz()
    local = moment.astimezone(tz)
    window = _quiet_window(settings)
    for _step in range(400):  # a year of blocked days at most; the settings cannot block every day
        if _blocked_day(local.date(), settings):
            local = datetime.combine(local.date() + timedelta(days=1), time.min, tzinfo=tz)
            continue
        if not _quiet_time(local.time(), window):
            return local if local != moment.astimezone(tz) else moment
        start, end = window
        if start > end and local.time() >= start:
            local = datetime.combine(local.date() + timedelta(days=1), end, tzinfo=tz)
        else:
            local = datetime.combine(local.date(), end, tzinfo=tz)
    raise ValueError("The quiet-hour settings leave no time to send.")
