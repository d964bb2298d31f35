"""Advancing due enrollments one step: a queued Delivery, a CallTask, or a wait-until check.

Per step, due enrollments are read in keyset batches; each batch inserts its
deliveries or call tasks (a second insert is ignored by the unique
constraints) and then moves the batch on. A sequence moves on with one
conditional UPDATE (the next step is `wait` after now); a playbook's next step
falls on each contract's own date, so it moves on with one bulk UPDATE of
computed values — the same values whichever pass writes them.
"""
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import translation
from django.utils.translation import gettext as _

from contacts.models import Contact
from contacts.rules import workspace_today, workspace_tz
from segments.rules import segment_q

from ..models import (
    CallTask,
    CampaignKind,
    Delivery,
    DeliveryStatus,
    Enrollment,
    EnrollmentStatus,
    StepKind,
)
from .rules import ExitReason, playbook_due_at, step_wait, variant_for

BATCH = 1000
ROW_FIELDS = ("id", "contact_id", "contract_id", "cycle", "contact__owner_id", "contact__last_touch_at",
              "contact__last_touch_kind", "contract__plan", "contract__expires_at", "timeline__lapse_date")


def campaign_advance(campaign, steps, *, now):
    """Run every due step of one running campaign; returns how many enrollments moved."""
    moved = 0
    for index, step in enumerate(steps):
        following = steps[index + 1] if index + 1 < len(steps) else None
        if step.kind == StepKind.WAIT_UNTIL:
            moved += _wait_until(campaign, step, following, now=now)
        else:
            moved += _perform(campaign, step, following, now=now)
    return moved


def _waiting(campaign, step):
    return Enrollment.objects.filter(campaign=campaign, status=EnrollmentStatus.ACTIVE, next_position=step.position)


def _perform(campaign, step, following, *, now):
    due, last, moved = _waiting(campaign, step).filter(next_at__lte=now), 0, 0
    while True:
        rows = list(due.filter(id__gt=last).order_by("id").values(*ROW_FIELDS)[:BATCH])
        if not rows:
            return moved
        last = rows[-1]["id"]
        with transaction.atomic():
            if step.kind == StepKind.EMAIL:
                Delivery.objects.bulk_create([_delivery(campaign, step, row, now) for row in rows],
                                             ignore_conflicts=True)
            else:
                with translation.override(settings.LANGUAGE_CODE):
                    tasks = [_call_task(campaign, step, row, now) for row in rows]
                CallTask.objects.bulk_create(tasks, ignore_conflicts=True)
            moved += _move_on(campaign, step, following, rows, now=now)


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
    ids = [row["id"] for row in rows]
    current = Enrollment.objects.filter(id__in=ids, status=EnrollmentStatus.ACTIVE, next_position=step.position)
    if following is None:
        return current.update(status=EnrollmentStatus.COMPLETED, next_position=step.position + 1, next_at=None)
    if campaign.kind != CampaignKind.PLAYBOOK:
        return current.update(next_position=following.position, next_at=now + step_wait(following))
    tz = workspace_tz()
    changed = [Enrollment(id=row["id"], next_position=following.position,
                          next_at=playbook_due_at(row["timeline__lapse_date"] or row["contract__expires_at"],
                                                  following.offset_days or 0, tz))
               for row in rows]
    return Enrollment.objects.bulk_update(changed, ["next_position", "next_at"])


def _wait_until(campaign, step, following, *, now):
    """Move on those whose contact matches the condition now; those past the limit give up (exit)."""
    waiting, moved = _waiting(campaign, step), 0
    matching = Contact.objects.filter(segment_q(step.condition, today=workspace_today(now=now), tz=workspace_tz()))
    ready = waiting.filter(Exists(matching.filter(pk=OuterRef("contact_id"))))
    last = 0
    while True:
        rows = list(ready.filter(id__gt=last).order_by("id").values(*ROW_FIELDS)[:BATCH])
        if not rows:
            break
        last = rows[-1]["id"]
        moved += _move_on(campaign, step, following, rows, now=now)
    waiting.filter(next_at__lte=now).update(status=EnrollmentStatus.EXITED,
                                            exit_reason=ExitReason.CONDITION_NOT_MET, next_at=None)
    return moved
