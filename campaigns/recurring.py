"""Recurring newsletters: one email step sent to a segment on a cron-like schedule (campaigns.schedule).

Each run is an *occurrence* (1, 2, 3 …) of the same step: its delivery rows
carry the occurrence number, so the unique constraint (step, contact,
occurrence) makes a run write each contact at most once, and the next run
writes them again. The rows are written by the broadcast's INSERT … SELECT
(campaigns.sending.materialize) from a freshly refreshed segment snapshot, so
each run reaches whoever is in the segment at that moment; holdout and
variant are hashed on (campaign, contact) and stay the same across runs.

Beat (`recurring_run_due`, every minute) claims due campaigns with a row
lock (SKIP LOCKED) and a conditional UPDATE of `next_run_at`, so two
overlapping passes never run one occurrence twice. Missed runs are not
caught up: a campaign whose beat was down runs once, late, then moves to the
next time after now; a run that falls due while the campaign is paused is
skipped (the pass moves its `next_run_at` on without writing anything), so
resuming never sends an old issue at an odd hour.
"""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils.translation import gettext as _

from contacts.rules import workspace_tz

from . import schedule as cron
from .models import Campaign, CampaignKind, CampaignStatus, Delivery, DeliveryStatus
from .services import single_email_campaign_save

BATCH = 50  # campaigns per pass; the rest are due next minute


def recurring_save(*, campaign=None, name, segment, sender, template, template_b, variant_b_percent,
                   holdout_percent, schedule, topic=None, user=None):
    """Create or change a draft recurring newsletter and its single email step (nothing is sent)."""
    return single_email_campaign_save(
        campaign=campaign, kind=CampaignKind.RECURRING, user=user, template=template, template_b=template_b,
        fields={"name": name, "segment": segment, "sender": sender, "topic": topic,
                "schedule": cron.validate(schedule), "holdout_percent": holdout_percent,
                "variant_b_percent": variant_b_percent if template_b else 0})


def recurring_start_problems(campaign):
    """Why `campaign` cannot start (the broadcast checks, plus a schedule that parses)."""
    from .sending.materialize import campaign_start_problems

    problems = campaign_start_problems(campaign)
    try:
        cron.parse(campaign.schedule)
    except ValidationError as error:
        problems.extend(error.messages)
    return problems


def recurring_start(campaign, *, now):
    """Draft → running with `next_run_at` set to the first run after `now`; nothing is written until then."""
    problems = recurring_start_problems(campaign)
    if campaign.kind != CampaignKind.RECURRING:
        problems.append(_("This is not a recurring newsletter."))
    elif campaign.status != CampaignStatus.DRAFT:
        problems.append(_("This campaign is %(status)s.") % {"status": campaign.get_status_display()})
    if problems:
        raise ValidationError(problems)
    first = cron.next_run(campaign.schedule, now, workspace_tz())
    started = Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.DRAFT).update(
        status=CampaignStatus.RUNNING, next_run_at=first, started_at=now, updated_at=now)
    if not started:
        raise ValidationError(_("This campaign was changed meanwhile; reload the page."))
    campaign.refresh_from_db(fields=["status", "next_run_at", "started_at"])
    return campaign


def recurring_run_due(*, now):
    """One beat pass: run every due running campaign once, skip runs due while paused. Returns {id: rows written}."""
    _paused_skip(now=now)
    written = {}
    with transaction.atomic():
        due = list(Campaign.objects.select_for_update(skip_locked=True)
                   .filter(kind=CampaignKind.RECURRING, status=CampaignStatus.RUNNING, next_run_at__lte=now)
                   .order_by("next_run_at", "id")[:BATCH])
        for campaign in due:
            written[campaign.pk] = _run_occurrence(campaign, now=now)
    return written


def _run_occurrence(campaign, *, now):
    from segments.services import segment_refresh

    from .models import SendingSettings
    from .policy import next_allowed_slot
    from .sending.materialize import _insert_deliveries, email_step

    following = cron.next_run(campaign.schedule, now, workspace_tz())
    # The claim: only the pass that moves next_run_at from the value it read writes this occurrence.
    if not Campaign.objects.filter(pk=campaign.pk, next_run_at=campaign.next_run_at).update(
            next_run_at=following, updated_at=now):
        return 0
    step = email_step(campaign)
    if step is None or step.template_id is None or campaign.segment_id is None:
        return 0
    segment_refresh(segment_id=campaign.segment_id, run_at=now)
    occurrence = (Delivery.objects.filter(step=step).aggregate(last=Max("occurrence"))["last"] or 0) + 1
    due = next_allowed_slot(now, SendingSettings.load())
    return _insert_deliveries(campaign=campaign, step=step, due=due, now=now, occurrence=occurrence)


def _paused_skip(*, now):
    """Move paused campaigns' due runs on to the next time after `now` (a pause skips runs, see module doc)."""
    paused = Campaign.objects.filter(kind=CampaignKind.RECURRING, status=CampaignStatus.PAUSED,
                                     next_run_at__lte=now).values_list("pk", "schedule", "next_run_at")[:BATCH]
    for pk, expression, was in paused:
        Campaign.objects.filter(pk=pk, next_run_at=was).update(
            next_run_at=cron.next_run(expression, now, workspace_tz()))


def upcoming_runs(campaign, *, now, count=3):
    """The next `count` run times (aware UTC) for the page: from next_run_at when running, else from now."""
    try:
        cron.parse(campaign.schedule)
    except ValidationError:
        return []
    if campaign.status in (CampaignStatus.CANCELLED, CampaignStatus.FINISHED):
        return []
    tz = workspace_tz()
    if campaign.status == CampaignStatus.RUNNING and campaign.next_run_at:
        first = max(campaign.next_run_at, now)
        return [first, *cron.next_runs(campaign.schedule, first, tz, count - 1)]
    return cron.next_runs(campaign.schedule, now, tz, count)


def occurrence_counts(campaign):
    """[{occurrence, written, sent, waiting, not_sent, failed, first_due}] newest first (one query)."""
    rows = (Delivery.objects.filter(step__campaign=campaign).values("occurrence")
            .annotate(written=Count("id"), sent=Count("id", filter=Q(status=DeliveryStatus.SENT)),
                      waiting=Count("id", filter=Q(status__in=[DeliveryStatus.QUEUED, DeliveryStatus.SENDING])),
                      not_sent=Count("id", filter=Q(status=DeliveryStatus.SUPPRESSED)),
                      failed=Count("id", filter=Q(status__in=[DeliveryStatus.FAILED, DeliveryStatus.UNKNOWN])),
                      written_at=Max("created_at"))
            .order_by("-occurrence"))
    return list(rows)
