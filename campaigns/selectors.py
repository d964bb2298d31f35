"""Read-only queries for the campaign pages."""
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from .models import Campaign, ContactTopicOptOut, Delivery, DeliveryStatus, MailTopic

STATUS_COUNTS = {status.value: Count("steps__deliveries", filter=Q(steps__deliveries__status=status))
                 for status in DeliveryStatus}


def campaign_list():
    """Campaigns newest first, each with its delivery counts by status (one query)."""
    return list(Campaign.objects.select_related("segment", "sender").annotate(**STATUS_COUNTS)
                .order_by("-created_at", "-id"))


def delivery_counts(campaign):
    """{status: count} for one campaign's deliveries, and skip reasons {reason: count}."""
    rows = Delivery.objects.filter(step__campaign=campaign).values_list("status", "reason").annotate(n=Count("id"))
    by_status, by_reason = {status.value: 0 for status in DeliveryStatus}, {}
    for status, reason, n in rows:
        by_status[status] += n
        if reason:
            by_reason[reason] = by_reason.get(reason, 0) + n
    return by_status, by_reason


def _count_by_topic(queryset):
    counted = queryset.filter(topic=OuterRef("pk")).order_by().values("topic").annotate(n=Count("id")).values("n")
    return Coalesce(Subquery(counted[:1], output_field=IntegerField()), Value(0))


def mail_topic_list():
    """Every topic, active first by position, with how many campaigns carry it and how many contacts opted out."""
    return list(MailTopic.objects.annotate(campaign_count=_count_by_topic(Campaign.objects),
                                           opt_out_count=_count_by_topic(ContactTopicOptOut.objects))
                .order_by("-is_active", "position", "id"))
