"""Read-only queries for the campaign pages."""
from django.db.models import Count, Q

from .models import Campaign, Delivery, DeliveryStatus

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
