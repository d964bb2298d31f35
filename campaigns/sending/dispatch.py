"""Finding due work in the database, and repairing what crashes and lost messages leave behind.

Redis carries only doorbells: `deliveries_dispatch` (beat, every 15 s) reads
due queued rows by keyset on the id (no OFFSET: the hundredth page costs what
the first does), stamps them as handed out (`lease_until` on a queued row:
"a message for it is on its way until then") and returns batches of ids for
send tasks. A row whose message is lost — a Redis restart, a purge — is
handed out again once that stamp expires. `deliveries_sweep` (beat, every
minute) turns `sending` rows whose lease expired into `unknown` (a worker
died after SMTP may have accepted: never resend blindly) and finishes
broadcasts with nothing left to send.
"""
from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from campaigns.models import Campaign, CampaignKind, CampaignStatus, Delivery, DeliveryStatus, SendingSettings
from campaigns.policy import is_quiet

PAGE = 1000
MAX_PER_PASS = 50_000


def due_queued(*, now):
    """Queued rows that are due, whose campaign is running, and that no send task holds a doorbell for."""
    return Delivery.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now),
        status=DeliveryStatus.QUEUED, scheduled_at__lte=now, step__campaign__status=CampaignStatus.RUNNING,
    )


def deliveries_dispatch(*, now):
    """Hand out due rows in batches of SENDING_BATCH_SIZE ids; returns the batches (lists of ids).

    Nothing is handed out in quiet hours (the rows would only be put back).
    With a rate limit, a pass hands out no more than the budget sends before
    the stamps expire, so they are not handed out twice.
    """
    policy = SendingSettings.load()
    if is_quiet(now, policy):
        return []
    limit = MAX_PER_PASS
    if policy.rate_per_minute:
        limit = min(limit, max(settings.SENDING_BATCH_SIZE,
                               policy.rate_per_minute * settings.SENDING_REDISPATCH_SECONDS // 120))
    until = now + timedelta(seconds=settings.SENDING_REDISPATCH_SECONDS)
    batch_size = max(settings.SENDING_BATCH_SIZE, 1)
    handed, after = [], None
    while len(handed) < limit:
        rows = due_queued(now=now)
        if after is not None:  # keyset on the (status, scheduled_at, id) index's order
            rows = rows.filter(Q(scheduled_at__gt=after[0]) | Q(scheduled_at=after[0], id__gt=after[1]))
        page = list(rows.order_by("scheduled_at", "id").values_list("scheduled_at", "id")
                    [:min(PAGE, limit - len(handed))])
        if not page:
            break
        after = page[-1]
        ids = [row_id for _due, row_id in page]
        # Only still-queued rows are stamped: one claimed since the read keeps its sending lease.
        Delivery.objects.filter(id__in=ids, status=DeliveryStatus.QUEUED).update(lease_until=until)
        handed.extend(ids)
    handed.sort()
    return [handed[start:start + batch_size] for start in range(0, len(handed), batch_size)]


SWEPT_ERROR = "The worker stopped before recording the outcome; the message may have been sent."


def deliveries_sweep(*, now):
    """Expire stale leases (→ unknown) and finish broadcasts that have nothing left; returns (unknown, finished)."""
    unknown = Delivery.objects.filter(status=DeliveryStatus.SENDING, lease_until__lt=now).update(
        status=DeliveryStatus.UNKNOWN, lease_until=None, updated_at=now,
        last_error=SWEPT_ERROR)
    open_rows = Delivery.objects.filter(step__campaign=OuterRef("pk"),
                                        status__in=[DeliveryStatus.QUEUED, DeliveryStatus.SENDING])
    finished = (Campaign.objects.filter(kind=CampaignKind.BROADCAST, status=CampaignStatus.RUNNING)
                .filter(~Exists(open_rows)).update(status=CampaignStatus.FINISHED, finished_at=now, updated_at=now))
    return unknown, finished
