"""Advancing due enrollments one step: a queued Delivery, a CallTask, or a wait-until check.

A pass moves on at most `limit` enrollments of a campaign (settings.FLOWS_PASS_LIMIT):
those whose wait-until condition now holds, then the due ones of every other
step together, oldest due first — read in keyset batches on (next_at, id), the
order of the `enrollment_due` index — and again for the steps that rows just
moved to (a next step without a wait is due at once); then those that waited
in vain. What the
limit leaves stays due and comes first in the next pass, so a burst (135k
second steps falling due on the same day) drains over consecutive passes
instead of making one pass last a minute.

Each batch inserts its deliveries or call tasks (a second insert is ignored by
the unique constraints) and then moves the batch on with an UPDATE that only
touches rows still active at that step: a pass that read the same rows before
another moved them (an overlapping pass) writes nothing twice. A sequence moves
on with one conditional UPDATE (the next step is `wait` after now); a
playbook's next step falls on each contract's own date, so it moves on with one
UPDATE per distinct date, under the same condition.
"""
import secrets
from collections import defaultdict
from itertools import groupby

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import translation
from django.utils.translation import gettext as _

from contacts.models import Contact, Contract
from contacts.rules import workspace_today, workspace_tz
from segments.rules import segment_q

from ..models import (
    CallTask,
    CampaignKind,
    Delivery,
    DeliveryStatus,
    Enrollment,
    EnrollmentStatus,
    PlaybookTimeline,
    StepKind,
)
from .rules import ExitReason, playbook_due_at, step_wait, variant_for

BATCH = 1000
# What moving on needs, from the enrollment row alone: a join in the keyset query is what the planner gets wrong
# while a first pass fills empty tables (a nested loop over every timeline: seconds a batch).
ROW_FIELDS = ("id", "next_position", "next_at", "contact_id", "contract_id", "cycle")
# What a call task's owner and note need: read by id, for call steps only.
CALL_FIELDS = ("id", "contact__owner_id", "contact__last_touch_at", "contact__last_touch_kind", "contract__plan",
               "contract__expires_at")


def campaign_advance(campaign, steps, *, now, limit):
    """Move on at most `limit` due enrollments of one running campaign.

    Returns (moved, more): how many moved on, and whether the limit cut the
    pass short (the rest is left for the next pass).
    """
    following = dict(zip((step.position for step in steps), [*steps[1:], None], strict=True))
    waits = [step for step in steps if step.kind == StepKind.WAIT_UNTIL]
    performed = {step.position: step for step in steps if step.kind != StepKind.WAIT_UNTIL}
    moved, budget, todo = 0, limit, set(following)
    while budget > 0 and todo:  # again for the steps rows just moved to: one without a wait is due at once
        counts = {}
        for step in (step for step in waits if step.position in todo):
            read, counts[step.position] = _wait_until_ready(campaign, step, following[step.position], now=now,
                                                            limit=budget)
            budget -= read
        read, performed_counts = _perform_due(campaign, {p: step for p, step in performed.items() if p in todo},
                                              following, now=now, limit=budget)
        counts.update(performed_counts)
        moved, budget = moved + sum(counts.values()), budget - read
        todo = {following[position].position for position, count in counts.items() if count and following[position]}
    for step in waits:
        budget -= _wait_until_give_up(campaign, step, now=now, limit=budget)
    return moved, budget <= 0


def _waiting(campaign, step):
    return Enrollment.objects.filter(campaign=campaign, status=EnrollmentStatus.ACTIVE, next_position=step.position)


def _perform_due(campaign, performed, following, *, now, limit):
    """Due enrollments at the `performed` email and call steps, oldest due first; returns (read, {position: moved})."""
    due = Enrollment.objects.filter(campaign=campaign, status=EnrollmentStatus.ACTIVE,
                                    next_position__in=list(performed), next_at__lte=now)
    read, moved, after = 0, defaultdict(int), None
    while read < limit and performed:
        rows = due
        if after is not None:
            rows = rows.filter(Q(next_at__gt=after[0]) | Q(next_at=after[0], id__gt=after[1]))
        rows = list(rows.order_by("next_at", "id").values(*ROW_FIELDS)[:min(BATCH, limit - read)])
        if not rows:
            break
        after, read = (rows[-1]["next_at"], rows[-1]["id"]), read + len(rows)
        rows.sort(key=lambda row: row["next_position"])
        for position, group in groupby(rows, key=lambda row: row["next_position"]):
            moved[position] += _perform(campaign, performed[position], following[position], list(group), now=now)
    return read, moved


def _perform(campaign, step, following, rows, *, now):
    with transaction.atomic():
        if step.kind == StepKind.EMAIL:
            Delivery.objects.bulk_create([_delivery(campaign, step, row, now) for row in rows], ignore_conflicts=True)
        else:
            context = {row["id"]: row for row in Enrollment.objects.filter(id__in=[row["id"] for row in rows])
                       .values(*CALL_FIELDS)}
            with translation.override(settings.LANGUAGE_CODE):
                tasks = [_call_task(campaign, step, {**row, **context[row["id"]]}, now) for row in rows]
            CallTask.objects.bulk_create(tasks, ignore_conflicts=True)
        return _move_on(campaign, step, following, rows, now=now)


def _delivery(campaign, step, row, now):
    return Delivery(step=step, contact_id=row["contact_id"], contract_id=row["contract_id"], occurrence=row["cycle"],
                    status=DeliveryStatus.QUEUED, variant=variant_for(campaign, step, row["contact_id"]),
                    scheduled_at=now, token=secrets.token_urlsafe(18))


def _call_task(campaign, step, row, now):
    return CallTask(step=step, enrollment_id=row["id"], contact_id=row["contact_id"],
                    assigned_to_id=row["contact__owner_id"], due_at=now, note=call_note(campaign, step, row))


def call_note(campaign, step, row):
    """Why the rep should call: the campaign, the step and its purpose, the contract, the last touch."""
    lines = [_("%(campaign)s, step %(position)s") % {"campaign": campaign.name, "position": step.position}]
    if step.purpose:
        lines.append(_("Purpose: %(purpose)s") % {"purpose": step.purpose})
    if row.get("contract_id"):
        lines.append(_("Contract %(plan)s lapses on %(date)s") % {
            "plan": row["contract__plan"] or "—", "date": row["contract__expires_at"]})
    touched = row.get("contact__last_touch_at")
    if touched:
        lines.append(_("Last touch: %(kind)s on %(date)s") % {
            "kind": row["contact__last_touch_kind"], "date": touched.astimezone(workspace_tz()).date()})
    else:
        lines.append(_("No touch on record."))
    return "\n".join(lines)


def _move_on(campaign, step, following, rows, *, now):
    """Only rows still active at `step` move: one an overlapping pass moved already stays where it is."""
    ids = [row["id"] for row in rows]
    current = Enrollment.objects.filter(id__in=ids, status=EnrollmentStatus.ACTIVE, next_position=step.position)
    if following is None:
        return current.update(status=EnrollmentStatus.COMPLETED, next_position=step.position + 1, next_at=None)
    if campaign.kind != CampaignKind.PLAYBOOK:
        return current.update(next_position=following.position, next_at=now + step_wait(following))
    # A playbook's next step falls on each contract's own day: one UPDATE per distinct day (a batch read in due
    # order shares few), not a CASE over every row.
    tz, by_due, lapses = workspace_tz(), defaultdict(list), _lapse_dates(rows)
    for row in rows:
        by_due[playbook_due_at(lapses[row["id"]], following.offset_days or 0, tz)].append(row["id"])
    return sum(Enrollment.objects.filter(id__in=same_day, status=EnrollmentStatus.ACTIVE, next_position=step.position)
               .update(next_position=following.position, next_at=due) for due, same_day in by_due.items())


def _lapse_dates(rows):
    """{enrollment id: the lapse date its playbook timeline was placed on (else its contract's)}."""
    lapses = dict(PlaybookTimeline.objects.filter(enrollment_id__in=[row["id"] for row in rows])
                  .values_list("enrollment_id", "lapse_date"))
    missing = {row["id"]: row["contract_id"] for row in rows if row["id"] not in lapses}
    if missing:
        expires = dict(Contract.objects.filter(pk__in=missing.values()).values_list("pk", "expires_at"))
        lapses.update({pk: expires[contract_id] for pk, contract_id in missing.items()})
    return lapses


def _matching(step, *, now):
    contacts = Contact.objects.filter(segment_q(step.condition, today=workspace_today(now=now), tz=workspace_tz()))
    return Exists(contacts.filter(pk=OuterRef("contact_id")))


def _wait_until_ready(campaign, step, following, *, now, limit):
    """Move on (at most `limit` of) those whose contact matches the condition now; returns (read, moved)."""
    ready = _waiting(campaign, step).filter(_matching(step, now=now))
    read, moved, last = 0, 0, 0
    while read < limit:
        rows = list(ready.filter(id__gt=last).order_by("id").values(*ROW_FIELDS)[:min(BATCH, limit - read)])
        if not rows:
            break
        last, read = rows[-1]["id"], read + len(rows)
        moved += _move_on(campaign, step, following, rows, now=now)
    return read, moved


def _wait_until_give_up(campaign, step, *, now, limit):
    """Those past the limit whose condition still does not hold exit (at most `limit`, the longest overdue first).

    One whose condition holds but that the pass had no room to move on stays for the next pass.
    """
    if limit <= 0:
        return 0
    late = (_waiting(campaign, step).filter(next_at__lte=now).exclude(_matching(step, now=now))
            .order_by("next_at", "id").values("pk")[:limit])
    return Enrollment.objects.filter(pk__in=late, status=EnrollmentStatus.ACTIVE, next_position=step.position).update(
        status=EnrollmentStatus.EXITED, exit_reason=ExitReason.CONDITION_NOT_MET, next_at=None)
