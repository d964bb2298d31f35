"""Exits: enrollments that stop before their last step, one UPDATE … WHERE per reason and campaign.

Sequence exits are what the marketer ticked: a reply or a meeting after
entry; "active again" = any counted (not bot-flagged) touch after entry
except opens and clicks of our own mails; leaving the segment (a
SegmentChange "leave" after entry); unsubscribed = opted out or a
suppressed address. A playbook timeline stops when its contract is renewed
(status renewed, or a lapse date later than the one it was placed on), is
cancelled, or an option was chosen. Queued deliveries of exited enrollments
are then marked not sent ("left the campaign") so the sender skips them.
"""
from django.db.models import Exists, F, OuterRef, Q

from contacts.models import ConsentState, ContractStatus, TouchEvent
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


def _touch_after_entry(**filters):
    return Exists(TouchEvent.objects.filter(contact=OuterRef("contact_id"), flagged_as_bot=False,
                                            occurred_at__gt=OuterRef("entered_at"), **filters))


def exit_condition(campaign, reason):
    """Q on Enrollment for one exit reason of `campaign`."""
    if reason == ExitReason.REPLY:
        return Q(_touch_after_entry(kind="reply"))
    if reason == ExitReason.MEETING:
        return Q(_touch_after_entry(kind="meeting"))
    if reason == ExitReason.ACTIVE:
        return Q(Exists(TouchEvent.objects.filter(contact=OuterRef("contact_id"), flagged_as_bot=False,
                                                  occurred_at__gt=OuterRef("entered_at"))
                        .exclude(kind__in=NOT_ACTIVITY)))
    if reason == ExitReason.LEFT_SEGMENT:
        if not campaign.segment_id:
            return None
        return Q(Exists(SegmentChange.objects.filter(segment_id=campaign.segment_id, contact=OuterRef("contact_id"),
                                                     kind=ChangeKind.LEAVE, at__gt=OuterRef("entered_at"))))
    if reason == ExitReason.UNSUBSCRIBED:
        return Q(contact__consent=ConsentState.OPTED_OUT) | Q(
            Exists(Suppression.objects.filter(email=OuterRef("contact__email"))))
    if reason == ExitReason.RENEWED:
        return Q(contract__status=ContractStatus.RENEWED) | Q(contract__expires_at__gt=F("timeline__lapse_date"))
    if reason == ExitReason.CONTRACT_ENDED:
        return Q(contract__status=ContractStatus.CANCELLED)
    if reason == ExitReason.OPTION_CHOSEN:
        return Q(Exists(RescueChoice.objects.filter(campaign=campaign, contract=OuterRef("contract_id"))))
    return None


def exit_reasons(campaign):
    if campaign.kind == CampaignKind.PLAYBOOK:
        return (ExitReason.OPTION_CHOSEN, ExitReason.RENEWED, ExitReason.CONTRACT_ENDED)
    return tuple(reason for reason in (campaign.exit_on or []) if reason != ExitReason.HOLDOUT)


def campaign_exits(campaign):
    """Apply every exit of one campaign; returns {reason: enrollments exited}."""
    exited = {}
    for reason in exit_reasons(campaign):
        condition = exit_condition(campaign, reason)
        if condition is None:
            continue
        active = Enrollment.objects.filter(campaign=campaign, status=EnrollmentStatus.ACTIVE)
        count = Enrollment.objects.filter(pk__in=active.filter(condition).values("pk")).update(
            status=EnrollmentStatus.EXITED, exit_reason=reason, next_at=None)
        if count:
            exited[reason] = count
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
