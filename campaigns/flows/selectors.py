"""Read-only queries for a sequence's or playbook's page and for the reps' call list."""
from django.db.models import Count, Q, Value

from contacts.rules import workspace_today

from ..models import (
    CallTask,
    CallTaskStatus,
    CampaignKind,
    CampaignStatus,
    Delivery,
    Enrollment,
    EnrollmentStatus,
    PlaybookTimeline,
    RescueChoice,
)
from .enrol import playbook_targets, trigger_rows
from .rules import EXIT_LABELS


def enrollment_summary(campaign, *, now=None):
    """{"active": n, "completed": n, "exited": n, "exits": [(label, n)], "at_step": {position: n},
    "due": {position: n}} in three queries.

    "due": active enrollments whose step fell due by `now` (none without `now`) — what the engine has not got
    to yet; a burst larger than a pass's limit shows here while it drains.
    """
    by_status = dict(Enrollment.objects.filter(campaign=campaign).values_list("status").annotate(n=Count("id")))
    exits = (Enrollment.objects.filter(campaign=campaign, status=EnrollmentStatus.EXITED)
             .values_list("exit_reason").annotate(n=Count("id")).order_by("-n"))
    active = (Enrollment.objects.filter(campaign=campaign, status=EnrollmentStatus.ACTIVE).values_list("next_position")
              .annotate(n=Count("id"), due=Count("id", filter=Q(next_at__lte=now)) if now else Value(0)))
    at_step, due = {}, {}
    for position, n, due_now in active:
        at_step[position] = n
        if due_now:
            due[position] = due_now
    return {"active": by_status.get(EnrollmentStatus.ACTIVE, 0),
            "completed": by_status.get(EnrollmentStatus.COMPLETED, 0),
            "exited": by_status.get(EnrollmentStatus.EXITED, 0),
            "exits": [(EXIT_LABELS.get(reason, reason), n) for reason, n in exits], "at_step": at_step, "due": due}


WAITING_CAP = 10_000


def entries_waiting(campaign, *, now):
    """(n, more): entries a running sequence has not read yet, or target contracts a running playbook has not
    enrolled yet — counted up to WAITING_CAP (`more`: at least that many). None when the flow is not running.

    The same read as the first one of a pass's enrolment, so it costs what a pass already pays every minute.
    """
    if campaign.status != CampaignStatus.RUNNING or campaign.started_at is None:
        return None
    if campaign.kind == CampaignKind.PLAYBOOK:
        steps = list(campaign.steps.all())
        if not steps:
            return None
        rows = playbook_targets(campaign, steps, today=workspace_today(now=now))
    else:
        rows = trigger_rows(campaign).filter(id__gt=campaign.flow.cursor)
    n = rows[:WAITING_CAP + 1].count()
    return min(n, WAITING_CAP), n > WAITING_CAP


def step_results(campaign):
    """{step id: {"deliveries": n, "sent": n, "tasks": n}} (two queries)."""
    results = {}
    for step_id, total, sent in (Delivery.objects.filter(step__campaign=campaign).values_list("step_id")
                                 .annotate(total=Count("id"), sent=Count("id", filter=Q(status="sent")))):
        results.setdefault(step_id, {})["deliveries"], results[step_id]["sent"] = total, sent
    tasks = CallTask.objects.filter(step__campaign=campaign).values_list("step_id").annotate(n=Count("id"))
    for step_id, total in tasks:
        results.setdefault(step_id, {})["tasks"] = total
    return results


def option_counts(campaign):
    return dict(RescueChoice.objects.filter(campaign=campaign).values_list("option_id").annotate(n=Count("id")))


def upcoming_timelines(campaign, limit=20):
    return list(PlaybookTimeline.objects.filter(campaign=campaign, enrollment__status=EnrollmentStatus.ACTIVE)
                .select_related("contract", "enrollment__contact").order_by("enrollment__next_at", "pk")[:limit])


def open_call_tasks(user, *, limit=50):
    """Open call tasks from sequences and playbooks for `user` (as assignee), soonest first; exited ones are hidden."""
    return list(CallTask.objects.filter(status=CallTaskStatus.OPEN, assigned_to=user)
                .exclude(enrollment__status=EnrollmentStatus.EXITED)
                .select_related("contact__company", "step__campaign").order_by("due_at", "id")[:limit])
