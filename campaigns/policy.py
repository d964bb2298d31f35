"""Who may get marketing mail, and when: legal basis, suppression, pauses, frequency cap, quiet hours.

Pure predicates and query builders (no writes). The same rules answer the
campaign preflight ("how many would this reach now, and why not the rest")
and the claim a worker makes right before it talks to SMTP, so the two never
disagree.

Legal basis (Japan's Act on Specified Electronic Mail, art. 3): opt-in, or
a business-card exchange recorded as the consent source. The definition is
contacts.consent's, shared with the segment condition "can receive marketing
mail"; it is re-exported here for the sending code.

Topics (MailTopic): a campaign with a topic is not sent to a contact that
opted out of that topic on the unsubscribe page; a campaign without one is
general marketing mail, stopped only by a full opt-out or a pause.
"""
from datetime import datetime, time, timedelta

import jpholiday
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from contacts.consent import BUSINESS_CARD_SOURCES, has_legal_basis, legal_basis_q  # noqa: F401 (re-exported)
from contacts.models import ConsentState
from contacts.rules import normalize_email, workspace_tz

from .models import (
    ContactMailPreference,
    ContactTopicOptOut,
    Delivery,
    DeliveryStatus,
    SkipReason,
    Suppression,
    SuppressionReason,
)

SUPPRESSION_SKIP = {
    SuppressionReason.UNSUBSCRIBED: SkipReason.UNSUBSCRIBED,
    SuppressionReason.MANUAL: SkipReason.UNSUBSCRIBED,
    SuppressionReason.BOUNCED: SkipReason.BOUNCED,
    SuppressionReason.COMPLAINED: SkipReason.COMPLAINED,
}


# -- suppression, topics and pauses -----------------------------------------


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


def topic_opt_out_q(*, topic_ref, contact_ref="pk"):
    """Q: the contact in `contact_ref` opted out of the topic in `topic_ref` (an id, or an OuterRef path).

    A NULL topic (general marketing mail) matches no opt-out row, so the
    EXISTS is false for it.
    """
    topic = OuterRef(topic_ref) if isinstance(topic_ref, str) else topic_ref
    return Q(Exists(ContactTopicOptOut.objects.filter(contact=OuterRef(contact_ref), topic=topic)))


def skip_reason(*, consent, has_basis, suppression, paused, topic_opt_out=False):
    """Why a contact gets no marketing mail now (a SkipReason), or None; the cap is left to the caller.

    The one order of reasons, shared by the claim and the preflight:
    suppression list, opt-out, no legal basis, opt-out of the mail's topic, pause.
    """
    if suppression:
        return SUPPRESSION_SKIP.get(suppression, SkipReason.UNSUBSCRIBED)
    if consent == ConsentState.OPTED_OUT:
        return SkipReason.UNSUBSCRIBED
    if not has_basis:
        return SkipReason.NO_CONSENT
    if topic_opt_out:
        return SkipReason.TOPIC_OPT_OUT
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
