"""Read-only queries for the alert pages: a rep's inbox, its version for the live poll, the team view."""
import hashlib
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q

from accounts.roles import Role

from .models import Alert, AlertStatus, Notification, NotificationStatus, RepDuty

ACTIVE = (AlertStatus.OPEN, AlertStatus.CLAIMED, AlertStatus.SNOOZED)
INBOX_LIMIT = 50
DONE_LIMIT = 10
RECENT_DONE = timedelta(hours=24)


def visible_q(user):
    """A rep's alerts: assigned to them, plus the ones nobody has (no owner and nobody on duty)."""
    return Q(assignee=user) | Q(assignee__isnull=True)


def inbox(user, *, now):
    """{"active": [...], "active_total": n, "done": [...]}: claimed first, then open, then snoozed, newest first.

    The newest INBOX_LIMIT active alerts; active_total counts them all (only
    counted when the list is full), so the page can say how many it does not
    show.
    """
    base = Alert.objects.filter(visible_q(user)).select_related("trigger", "assignee", "contact")
    open_ones = base.filter(status__in=ACTIVE)
    active = list(open_ones.order_by("-fired_at", "-id")[:INBOX_LIMIT])
    total = open_ones.count() if len(active) == INBOX_LIMIT else len(active)
    order = {AlertStatus.CLAIMED: 0, AlertStatus.OPEN: 1, AlertStatus.SNOOZED: 2}  # the call in progress on top
    active.sort(key=lambda alert: order[alert.status])
    done = list(base.filter(status=AlertStatus.DONE, done_at__gte=now - RECENT_DONE)
                .order_by("-done_at", "-id")[:DONE_LIMIT])
    return {"active": active, "active_total": total, "done": done}


def inbox_version(user, *, now):
    """A short digest of what the inbox shows: the live poll answers 204 while it does not change.

    A digest of the rows' state rather than a time cursor, so an alert
    committed a moment after a poll (its changed_at slightly earlier) is never
    skipped.
    """
    rows = Alert.objects.filter(visible_q(user)).filter(
        Q(status__in=ACTIVE) | Q(status=AlertStatus.DONE, done_at__gte=now - RECENT_DONE)
    ).order_by("-changed_at", "-id").values_list("id", "status", "changed_at")[:INBOX_LIMIT + DONE_LIMIT]
    raw = ";".join(f"{pk}:{status}:{changed.timestamp()}" for pk, status, changed in rows)
    return hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()[:16]


def open_alerts_by_age(*, limit=200):
    """Alerts nobody has finished, oldest first (the response-time SLA)."""
    return list(Alert.objects.filter(status__in=ACTIVE).select_related("trigger", "assignee", "contact")
                .order_by("fired_at", "id")[:limit])


def rep_response_times(*, since):
    """Per assignee since `since`: alerts, still open, and the average time from firing to claim."""
    wait = ExpressionWrapper(F("claimed_at") - F("fired_at"), output_field=DurationField())
    rows = (Alert.objects.filter(fired_at__gte=since, assignee__isnull=False).values("assignee")
            .annotate(total=Count("id"), open=Count("id", filter=Q(status__in=ACTIVE)),
                      claimed=Count("id", filter=Q(claimed_at__isnull=False)),
                      avg_wait=Avg(wait, filter=Q(claimed_at__isnull=False)))
            .order_by("assignee"))
    users = get_user_model().objects.in_bulk([row["assignee"] for row in rows])
    return [{**row, "user": users.get(row["assignee"]),
             "avg_minutes": round(row["avg_wait"].total_seconds() / 60, 1) if row["avg_wait"] is not None else None}
            for row in rows]


def notifications_failing(*, limit=50):
    """Failed notifications and those waiting for a retry: shown to managers with their last error."""
    return list(Notification.objects.filter(
        Q(status=NotificationStatus.FAILED) | Q(status=NotificationStatus.PENDING, attempts__gt=0))
        .select_related("alert__contact", "alert__trigger", "recipient", "endpoint")
        .order_by("-next_at", "-id")[:limit])


def reps_with_duty():
    """Inside-sales users with their duty flag, for the team page."""
    users = (get_user_model().objects.filter(is_active=True, groups__name=Role.INSIDE_SALES)
             .order_by("last_name", "first_name", "username"))
    duties = dict(RepDuty.objects.values_list("user_id", "on_duty"))
    return [(user, duties.get(user.pk, False)) for user in users]


def is_on_duty(user):
    return RepDuty.objects.filter(user=user, on_duty=True).exists()
