"""Exits: enrollments that stop before their last step, one UPDATE … WHERE per reason and campaign (two for
"unsubscribed").

Sequence exits are what the marketer ticked: a reply or a meeting after
entry; "active again" = any counted (not bot-flagged) touch after entry
except opens and clicks of our own mails; leaving the segment (a
SegmentChange "leave" after entry); unsubscribed = opted out or a
suppressed address. A playbook timeline stops when its contract is renewed
(status renewed, or a lapse date later than the one it was placed on), is
cancelled, or an option was chosen. Queued deliveries of exited enrollments
are then marked not sent ("left the campaign") so the sender skips them.
"""
from django.db.models import Exists, F, Min, OuterRef, Q

from contacts.models import ConsentState, Contact, ContractStatus, TouchEvent, TouchKind
from segments.models import SegmentChange
from segments.models.segment import ChangeKind

from ..models import (
    CampaignKind,
    Delivery,
    DeliveryStatus,
    Enrollment,
    EnrollmentStatus,
    RescueChoice,
    SkipReason,
    Suppression,
)
from .rules import NOT_ACTIVITY, ExitReason

# Every touch kind that counts as "active again". The kinds are TouchKind's (every way in validates them), so
# this equals "not an open or click of our own mails" and lets the planner read the (kind, occurred_at) index.
ACTIVITY = tuple(kind for kind in TouchKind.values if kind not in NOT_ACTIVITY)


def _touch_after_entry(since, **filters):
    return Exists(TouchEvent.objects.filter(contact=OuterRef("contact_id"), flagged_as_bot=False,
                                            occurred_at__gt=OuterRef("entered_at"), **filters)
                  .filter(occurred_at__gt=since))


def exit_conditions(campaign, reason, *, since):
    """Qs on Enrollment for one exit reason of `campaign` (an enrollment meeting any of them exits).

    `since`: no active enrollment entered before it (their earliest entry). A touch or a segment change after
    entry is after `since` as well; saying so lets the planner read only what happened since then instead of
    probing every enrollment's contact (seconds at 135k enrollments). Opt-outs and suppressions are two
    statements so that each can be a hash join.
    """
    if reason == ExitReason.REPLY:
        return [Q(_touch_after_entry(since, kind="reply"))]
    if reason == ExitReason.MEETING:
        return [Q(_touch_after_entry(since, kind="meeting"))]
    if reason == ExitReason.ACTIVE:
        return [Q(_touch_after_entry(since, kind__in=ACTIVITY))]
    if reason == ExitReason.LEFT_SEGMENT:
        if not campaign.segment_id:
            return []
        return [Q(Exists(SegmentChange.objects.filter(segment_id=campaign.segment_id, contact=OuterRef("contact_id"),
                                                      kind=ChangeKind.LEAVE, at__gt=OuterRef("entered_at"))
                         .filter(at__gt=since)))]
    if reason == ExitReason.UNSUBSCRIBED:
        return [Q(contact__in=Contact.objects.filter(consent=ConsentState.OPTED_OUT).values("pk")),
                Q(contact__in=Contact.objects.filter(email__in=Suppression.objects.values("email")).values("pk"))]
    if reason == ExitReason.RENEWED:
        return [Q(contract__status=ContractStatus.RENEWED) | Q(contract__expires_at__gt=F("timeline__lapse_date"))]
    if reason == ExitReason.CONTRACT_ENDED:
        return [Q(contract__status=ContractStatus.CANCELLED)]
    if reason == ExitReason.OPTION_CHOSEN:
        return [Q(Exists(RescueChoice.objects.filter(campaign=campaign, contract=OuterRef("contract_id"))))]
    return []


def exit_reasons(campaign):
    if campaign.kind == CampaignKind.PLAYBOOK:
        return (ExitReason.OPTION_CHOSEN, ExitReason.RENEWED, ExitReason.CONTRACT_ENDED)
    return tuple(reason for reason in (campaign.exit_on or []) if reason != ExitReason.HOLDOUT)


def campaign_exits(campaign):
    """Apply every exit of one campaign; returns {reason: enrollments exited}."""
    active = Enrollment.objects.filter(campaign=campaign, status=EnrollmentStatus.ACTIVE)
    since = active.aggregate(since=Min("entered_at"))["since"]
    if since is None:
        return {}
    exited = {}
    for reason in exit_reasons(campaign):
        for condition in exit_conditions(campaign, reason, since=since):
            count = Enrollment.objects.filter(pk__in=active.filter(condition).values("pk")).update(
                status=EnrollmentStatus.EXITED, exit_reason=reason, next_at=None)
            if count:
                exited[reason] = exited.get(reason, 0) + count
    if exited:
        deliveries_withdraw(campaign)
    return exited


def deliveries_withdraw(campaign, *, contract=None):
    """Queued deliveries of exited enrollments become "not sent: left the campaign" (a conditional UPDATE)."""
    exited = Enrollment.objects.filter(campaign=campaign, status=EnrollmentStatus.EXITED,
                                       contact=OuterRef("contact_id"), cycle=OuterRef("occurrence"))
    if campaign.kind == CampaignKind.PLAYBOOK:
        exited = exited.filter(contract=OuterRef("contract_id"))
    queued = Delivery.objects.filter(step__campaign=campaign, status=DeliveryStatus.QUEUED)
    if contract is not None:
        queued = queued.filter(contract=contract)
    return queued.filter(Exists(exited)).update(status=DeliveryStatus.SUPPRESSED, reason=SkipReason.EXITED)
