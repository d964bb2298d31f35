"""Read-only queries for a sequence's or playbook's page and for the reps' call list."""
from django.db.models import Count, Q

from ..models import CallTask, CallTaskStatus, Delivery, Enrollment, EnrollmentStatus, PlaybookTimeline, RescueChoice
from .rules import EXIT_LABELS


def enrollment_summary(campaign):
    """{"active": n, "completed": n, "exited": n, "exits": [(label, n)], "at_step": {position: n}} in two queries."""
    by_status = dict(Enrollment.objects.filter(campaign=campaign).values_list("status").annotate(n=Count("id")))
    exits = (Enrollment.objects.filter(campaign=campaign, status=EnrollmentStatus.EXITED)
             .values_list("exit_reason").annotate(n=Count("id")).order_by("-n"))
    at_step = dict(Enrollment.objects.filter(campaign=campaign, status=EnrollmentStatus.ACTIVE)
                   .values_list("next_position").annotate(n=Count("id")))
    return {"active": by_status.get(EnrollmentStatus.ACTIVE, 0),
            "completed": by_status.get(EnrollmentStatus.COMPLETED, 0),
            "exited": by_status.get(EnrollmentStatus.EXITED, 0),
            "exits": [(EXIT_LABELS.get(reason, reason), n) for reason, n in exits], "at_step": at_step}


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
