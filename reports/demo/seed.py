"""One run of the demo activity, in one transaction (a crash leaves nothing half-made)."""
import time

from django.db import connection, transaction
from django.utils import timezone

from campaigns.flows.exits import campaign_exits
from campaigns.models import Campaign, CampaignKind
from contacts.models import Contact
from scoring.services import scores_recompute
from segments.services import segment_refresh

from ..campaign_answers import campaign_answers_recompute
from .alerts import alerts_run
from .broadcast import broadcast_run
from .common import ActivityStats
from .rescue import playbook_run
from .sequence import sequence_run
from .setup import BROADCAST_NAME, campaigns_create, marketer_user

_LOCK_KEY = 0x5EED_AC71


def demo_activity_present():
    return Campaign.objects.filter(kind=CampaignKind.BROADCAST, name=BROADCAST_NAME).exists()


def demo_activity_seed(*, seed=1, now=None, progress=None):
    """Create the demo activity; returns ActivityStats, or None when it is already there or there are no contacts."""
    report = progress or (lambda message: None)
    now = (now or timezone.now()).replace(microsecond=0)
    started = time.perf_counter()
    stats = ActivityStats()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        if demo_activity_present() or not Contact.objects.exists():
            return None
        demo = campaigns_create(now=now, marketer=marketer_user())
        comebacks = broadcast_run(demo.broadcast, seed=seed, now=now, stats=stats)
        report(f"broadcast: {stats.counts.get('deliveries_sent', 0):,} sent ({time.perf_counter() - started:.1f}s)")
        choices = playbook_run(demo.playbook, seed=seed, now=now, stats=stats)
        report(f"playbook: {stats.counts.get('playbook_timelines', 0):,} timelines "
               f"({time.perf_counter() - started:.1f}s)")
        sequence_run(demo.sequence, seed=seed, now=now, stats=stats)
        # Scores first: an alert's context carries the contact's score (the first scoring is a silent baseline).
        scores_recompute(now=now)
        alerts_run(comebacks=comebacks, choices=choices, seed=seed, now=now, stats=stats)
        # The engine's own exits, as beat's next pass would apply them to what the alerts' meetings changed.
        for campaign in (demo.sequence, demo.playbook):
            for reason, count in campaign_exits(campaign).items():
                stats.add(f"late_exits_{reason}", count)
        # The demo writes its deliveries, touches, suppressions and reactivations in bulk, past every receiver:
        # the campaign report's stored answers are computed from them once, as the migration's backfill does.
        for campaign in (demo.broadcast, demo.playbook, demo.sequence):
            campaign_answers_recompute(campaign_id=campaign.pk)
        segment_refresh(segment_id=demo.segment.pk, run_at=now)
    stats.seconds = time.perf_counter() - started
    return stats
