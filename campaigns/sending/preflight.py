"""What a broadcast would do if started now: who it reaches, who it leaves out and why.

One aggregate query over the segment's members with the same predicates the
worker applies at claim time (campaigns.policy) and the same holdout hash as
the INSERT that starts the campaign, so the page's numbers are the ones the
send will produce (give or take what changes between now and then).
"""
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.db.models import BooleanField, CharField, Count, ExpressionWrapper, Q, Value
from django.db.models.functions import MD5, Cast, Collate, Concat, Substr
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from campaigns.models import SendingSettings, SkipReason, SuppressionReason
from campaigns.policy import (
    cap_enabled,
    is_quiet,
    legal_basis_q,
    next_allowed_slot,
    paused_q,
    recent_sends_subquery,
    suppression_reason_subquery,
)
from contacts.models import ConsentState, Contact

from .materialize import BUCKET_DIGITS, HOLDOUT_SALT, campaign_start_problems, share_threshold

# The order reasons are counted in: each excluded contact is counted once, under its first reason.
REASONS = (SkipReason.HOLDOUT, SkipReason.UNSUBSCRIBED, SkipReason.BOUNCED, SkipReason.COMPLAINED,
           SkipReason.NO_CONSENT, SkipReason.PAUSED, SkipReason.FREQUENCY_CAP)
NOBODY = Q(pk__lt=0)  # ids are positive: a filter that matches no one, for a reason that is switched off


@dataclass(frozen=True)
class Preflight:
    members: int
    reach: int
    by_reason: dict = field(default_factory=dict)  # SkipReason value -> contacts, in REASONS order
    waits_until: datetime | None = None  # set when now is in quiet hours: the first moment mail would leave
    problems: list = field(default_factory=list)  # why the campaign cannot start (campaign_start_problems)

    @property
    def excluded(self):
        """[(label, contacts)] for the reasons that leave someone out, in REASONS order (for pages)."""
        return [(SkipReason(reason).label, count) for reason, count in self.by_reason.items() if count]

    @property
    def note(self):
        if self.waits_until is None:
            return ""
        local = localtime(self.waits_until)
        return _("Quiet hours now: the first messages will leave at %(when)s.") % {
            "when": local.strftime("%Y-%m-%d %H:%M")}


def campaign_preflight(campaign, *, now):
    """Preflight for a broadcast: how many it would reach now, how many are excluded and why."""
    problems = campaign_start_problems(campaign)
    if campaign.segment_id is None:
        return Preflight(members=0, reach=0, problems=problems)
    settings = SendingSettings.load()
    counts = _members(campaign).annotate(**_annotations(campaign, settings, now)).aggregate(
        members=Count("id"), **{reason.value: Count("id", filter=q)
                                for reason, q in _reason_filters(campaign, settings).items()})
    members = counts.pop("members")
    excluded = {reason.value: counts[reason.value] for reason in REASONS}
    start = max(campaign.scheduled_at or now, now)
    waits = next_allowed_slot(start, settings) if is_quiet(start, settings) else None
    return Preflight(members=members, reach=members - sum(excluded.values()), by_reason=excluded,
                     waits_until=waits, problems=problems)


def _members(campaign):
    segment = campaign.segment
    if segment.refreshed_at is None:  # campaign_start refreshes it first: count what that will find
        from segments.selectors import segment_members

        return segment_members(segment.definition)
    return Contact.objects.filter(segment_memberships__segment_id=segment.pk)


def _annotations(campaign, settings, now):
    key = Concat(Value(f"{HOLDOUT_SALT}:{campaign.pk}:"), Cast("id", CharField()), output_field=CharField())
    bucket = Substr(MD5(key), 1, BUCKET_DIGITS)
    if connection.vendor == "postgresql":
        bucket = Collate(bucket, "C")
    return {
        "_bucket": bucket,
        "_suppression": suppression_reason_subquery("email"),
        "_basis": ExpressionWrapper(legal_basis_q(), output_field=BooleanField()),
        "_paused": ExpressionWrapper(paused_q(now), output_field=BooleanField()),
        "_recent": recent_sends_subquery(settings, now=now) if cap_enabled(settings) else Value(0),
    }


def _reason_filters(campaign, settings):
    held = Q(_bucket__lt=share_threshold(campaign.holdout_percent)) if campaign.holdout_percent else NOBODY
    listed = Q(_suppression__isnull=False)
    opted_out = Q(consent=ConsentState.OPTED_OUT)
    reachable = ~held & ~listed & ~opted_out & Q(_basis=True)
    capped = Q(_recent__gte=settings.frequency_cap_count) if cap_enabled(settings) else NOBODY
    return {
        SkipReason.HOLDOUT: held,
        SkipReason.UNSUBSCRIBED: ~held & (Q(_suppression__in=[SuppressionReason.UNSUBSCRIBED,
                                                              SuppressionReason.MANUAL])
                                          | (~listed & opted_out)),
        SkipReason.BOUNCED: ~held & Q(_suppression=SuppressionReason.BOUNCED),
        SkipReason.COMPLAINED: ~held & Q(_suppression=SuppressionReason.COMPLAINED),
        SkipReason.NO_CONSENT: ~held & ~listed & ~opted_out & Q(_basis=False),
        SkipReason.PAUSED: reachable & Q(_paused=True),
        SkipReason.FREQUENCY_CAP: reachable & Q(_paused=False) & capped,
    }
