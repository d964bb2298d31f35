"""What a broadcast would do if started now: who it reaches, who it leaves out and why.

One aggregate query over the segment's members with the same predicates the
worker applies at claim time (campaigns.policy) and the same holdout hash as
the INSERT that starts the campaign, so the page's numbers are the ones the
send will produce (give or take what changes between now and then).
"""
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, Value
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
    topic_opt_out_q,
)
from campaigns.split import HOLDOUT_SALT, bucket_expression, share_threshold
from contacts.models import ConsentState, Contact

from .materialize import campaign_start_problems

# The order reasons are counted in: each excluded contact is counted once, under its first reason.
REASONS = (SkipReason.HOLDOUT, SkipReason.UNSUBSCRIBED, SkipReason.BOUNCED, SkipReason.COMPLAINED,
           SkipReason.NO_CONSENT, SkipReason.TOPIC_OPT_OUT, SkipReason.PAUSED, SkipReason.FREQUENCY_CAP)
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
    excluded, counts = exclusion_counts(members_now(campaign), campaign=campaign, settings=settings, now=now)
    members = counts["members"]
    start = max(campaign.scheduled_at or now, now)
    waits = next_allowed_slot(start, settings) if is_quiet(start, settings) else None
    return Preflight(members=members, reach=members - sum(excluded.values()), by_reason=excluded,
                     waits_until=waits, problems=problems)


def exclusion_counts(rows, *, campaign, settings, now, contact="", **extra):
    """Who among `rows` the campaign's mail would leave out, and why, in one aggregate query.

    `rows` are Contacts, or rows that reach their contact through the relation
    prefix `contact` (e.g. "contact__" for Contracts); each row is counted once,
    under its first reason in REASONS order. `extra` are further aggregates for
    the same query (e.g. distinct contacts). Returns ({reason: rows},
    {"members": rows, **extra}). Broadcasts and the sequence and playbook
    previews (campaigns.flows.preview) share it.
    """
    counts = rows.annotate(**_annotations(campaign, settings, now, contact)).aggregate(
        members=Count("pk"), **extra, **{reason.value: Count("pk", filter=q)
                                         for reason, q in _reason_filters(campaign, settings, contact).items()})
    return {reason.value: counts.pop(reason.value) for reason in REASONS}, counts


def members_now(campaign):
    """The contacts in the campaign's segment now (what a start, or a sequence's baseline, would find)."""
    segment = campaign.segment
    if segment.refreshed_at is None:  # campaign_start refreshes it first: count what that will find
        from segments.selectors import segment_members

        return segment_members(segment.definition)
    return Contact.objects.filter(segment_memberships__segment_id=segment.pk)


def _annotations(campaign, settings, now, contact=""):
    ref = f"{contact}pk"  # the contact's id, from a Contact ("pk") or through a relation ("contact__pk")
    annotations = {
        "_bucket": bucket_expression(HOLDOUT_SALT, campaign.pk, ref),
        "_suppression": suppression_reason_subquery(f"{contact}email"),
        "_basis": ExpressionWrapper(legal_basis_q(contact), output_field=BooleanField()),
        "_paused": ExpressionWrapper(paused_q(now, contact_ref=ref), output_field=BooleanField()),
        "_recent": recent_sends_subquery(settings, now=now, contact_ref=ref) if cap_enabled(settings) else Value(0),
    }
    if campaign.topic_id:  # general mail (no topic): no opt-out to look for
        annotations["_topic_opt_out"] = ExpressionWrapper(
            topic_opt_out_q(topic_ref=campaign.topic_id, contact_ref=ref), output_field=BooleanField())
    return annotations


def _reason_filters(campaign, settings, contact=""):
    held = Q(_bucket__lt=share_threshold(campaign.holdout_percent)) if campaign.holdout_percent else NOBODY
    listed = Q(_suppression__isnull=False)
    opted_out = Q(**{f"{contact}consent": ConsentState.OPTED_OUT})
    reachable = ~held & ~listed & ~opted_out & Q(_basis=True)
    topic_out = Q(_topic_opt_out=True) if campaign.topic_id else NOBODY
    capped = Q(_recent__gte=settings.frequency_cap_count) if cap_enabled(settings) else NOBODY
    return {
        SkipReason.HOLDOUT: held,
        SkipReason.UNSUBSCRIBED: ~held & (Q(_suppression__in=[SuppressionReason.UNSUBSCRIBED,
                                                              SuppressionReason.MANUAL])
                                          | (~listed & opted_out)),
        SkipReason.BOUNCED: ~held & Q(_suppression=SuppressionReason.BOUNCED),
        SkipReason.COMPLAINED: ~held & Q(_suppression=SuppressionReason.COMPLAINED),
        SkipReason.NO_CONSENT: ~held & ~listed & ~opted_out & Q(_basis=False),
        SkipReason.TOPIC_OPT_OUT: reachable & topic_out,
        SkipReason.PAUSED: reachable & ~topic_out & Q(_paused=True),
        SkipReason.FREQUENCY_CAP: reachable & ~topic_out & Q(_paused=False) & capped,
    }
