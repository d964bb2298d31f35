"""Enrolment: who starts a sequence or a playbook, read set-based and once.

Sequences read the rows that announce an entry — SegmentChange "enter" rows
of their segment, or counted TouchEvents of the trigger kind (and URL
pattern) — newer than the campaign's start and beyond FlowSettings.cursor, in
keyset batches; the cursor only moves forward (a conditional UPDATE), so each
row is read once and an overlapping pass at worst re-reads a batch whose
inserts the unique constraint then ignores. Playbooks enrol each active
contract of their target that has no timeline yet and still has a phase ahead.
A pass reads at most its limit (settings.FLOWS_PASS_LIMIT) per campaign; the
rest waits beyond the cursor, or still without a timeline, for the next pass.
"""
import secrets
from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Q

from contacts.models import Contract, ContractStatus, TouchEvent
from contacts.rules import workspace_today, workspace_tz
from segments.models import SegmentChange, SegmentMembership
from segments.models.segment import ChangeKind

from ..models import Enrollment, EnrollmentStatus, FlowSettings, PlaybookTimeline
from ..signals import enrollments_entered_notify
from .rules import ExitReason, first_reachable, is_held_out, playbook_due_at, step_wait

BATCH = 1000


def entry_touches(trigger, *, since):
    """The counted touches since `since` that enter a contact into a sequence with this touch trigger."""
    rows = TouchEvent.objects.filter(kind=trigger.get("kind", ""), flagged_as_bot=False, occurred_at__gte=since)
    if trigger.get("url_contains"):
        rows = rows.filter(url__icontains=trigger["url_contains"])
    return rows


def trigger_rows(campaign):
    """(id, contact_id, at) of the rows that enter contacts into a running sequence, oldest id first."""
    trigger = campaign.trigger or {}
    if trigger.get("type") == "touch":
        rows = entry_touches(trigger, since=campaign.started_at)
        return rows.order_by("id").values_list("id", "contact_id", "occurred_at")
    return (SegmentChange.objects.filter(segment_id=campaign.segment_id, kind=ChangeKind.ENTER,
                                         at__gte=campaign.started_at)
            .order_by("id").values_list("id", "contact_id", "at"))


def sequence_enrol(campaign, steps, *, now, limit):
    """Enrol the contacts that entered `campaign` since its cursor, reading at most `limit` rows; returns how many
    were read (the rest waits beyond the cursor for the next pass)."""
    flow, _created = FlowSettings.objects.get_or_create(campaign=campaign)
    cursor, read = flow.cursor, 0
    while read < limit:
        rows = list(trigger_rows(campaign).filter(id__gt=cursor)[:min(BATCH, limit - read)])
        if not rows:
            break
        entries = {}
        for _id, contact_id, at in rows:
            entries.setdefault(contact_id, at)  # the first entry in the batch counts
        with transaction.atomic():
            _enrol_contacts(campaign, steps[0], entries)
            cursor = rows[-1][0]
            FlowSettings.objects.filter(pk=campaign.pk, cursor__lt=cursor).update(cursor=cursor)
        read += len(rows)
    return read


def _enrol_contacts(campaign, first_step, entries):
    """One Enrollment per entering contact: cycle 0, or the next cycle when re-entry is allowed and none is active."""
    known = {row["contact_id"]: row for row in Enrollment.objects.filter(
        campaign=campaign, contact_id__in=list(entries)).values("contact_id").annotate(
        top=Max("cycle"), active=Count("id", filter=Q(status=EnrollmentStatus.ACTIVE)))}
    rows = []
    for contact_id, entered_at in entries.items():
        cycle = 0
        if contact_id in known:
            if not campaign.allow_reentry or known[contact_id]["active"]:
                continue
            cycle = known[contact_id]["top"] + 1
        rows.append(_enrollment(campaign, contact_id, None, cycle, entered_at, first_step.position,
                                entered_at + step_wait(first_step)))
    Enrollment.objects.bulk_create(rows, ignore_conflicts=True)
    enrollments_entered_notify(campaign.pk, [row.contact_id for row in rows])


def _enrollment(campaign, contact_id, contract_id, cycle, entered_at, position, next_at):
    held = is_held_out(campaign, contact_id)
    return Enrollment(
        campaign=campaign, contact_id=contact_id, contract_id=contract_id, cycle=cycle, entered_at=entered_at,
        next_position=position, next_at=None if held else next_at,
        status=EnrollmentStatus.EXITED if held else EnrollmentStatus.ACTIVE,
        exit_reason=ExitReason.HOLDOUT if held else "",
    )


def playbook_targets(campaign, steps, *, today):
    """(id, contact_id, expires_at) of the contracts playbook_contracts finds, by id."""
    return playbook_contracts(campaign, steps, today=today).order_by("id").values_list("id", "contact_id",
                                                                                        "expires_at")


def playbook_contracts(campaign, steps, *, today):
    """Active contracts of the playbook's target with no timeline yet and a phase still ahead."""
    latest = max(step.offset_days or 0 for step in steps)
    contracts = Contract.objects.filter(status=ContractStatus.ACTIVE, expires_at__gte=today - timedelta(days=latest))
    contracts = contracts.exclude(Exists(PlaybookTimeline.objects.filter(campaign=campaign, contract=OuterRef("pk"))))
    if not campaign.flow.all_active_contracts:
        contracts = contracts.filter(Exists(SegmentMembership.objects.filter(
            segment_id=campaign.segment_id, contact=OuterRef("contact_id"))))
    return contracts


def playbook_enrol(campaign, steps, *, now, limit):
    """One timeline per target contract, for at most `limit` contracts (a contract with a timeline is no longer a
    target, so the next pass goes on with the rest); the first step is the first phase not yet past. Returns how
    many contracts were read."""
    today, tz, last, read = workspace_today(now=now), workspace_tz(), 0, 0
    targets = playbook_targets(campaign, steps, today=today)
    while read < limit:
        rows = list(targets.filter(id__gt=last)[:min(BATCH, limit - read)])
        if not rows:
            break
        last = rows[-1][0]
        enrollments = []
        for contract_id, contact_id, expires_at in rows:
            first = first_reachable(steps, expires_at, today)
            if first is not None:
                enrollments.append(_enrollment(campaign, contact_id, contract_id, 0, now, first.position,
                                               playbook_due_at(expires_at, first.offset_days or 0, tz)))
        with transaction.atomic():
            Enrollment.objects.bulk_create(enrollments, ignore_conflicts=True)
            enrollments_entered_notify(campaign.pk, [row.contact_id for row in enrollments])
            timelines_create(campaign, {contract_id: expires_at for contract_id, _contact_id, expires_at in rows})
        read += len(rows)
    return read


def timelines_create(campaign, lapse_dates):
    """A timeline (lapse date as enrolled, options-page token) for the enrollment of each contract in `lapse_dates`
    ({contract id: lapse date}); one that has a timeline keeps it (the inserts ignore conflicts).

    The enrollments are found by their contract alone (its index): no anti-join with the timelines, whose plan
    went wrong (seconds a batch) while a first pass fills empty tables the planner has no statistics for.
    """
    enrollments = Enrollment.objects.filter(campaign=campaign, contract_id__in=list(lapse_dates), cycle=0)
    PlaybookTimeline.objects.bulk_create([
        PlaybookTimeline(enrollment_id=pk, campaign=campaign, contract_id=contract_id,
                         lapse_date=lapse_dates[contract_id], token=secrets.token_urlsafe(18))
        for pk, contract_id in enrollments.values_list("id", "contract_id")
    ], ignore_conflicts=True)
