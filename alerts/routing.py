"""Who gets an alert: the contact's owner, else the next rep on duty (round robin).

The rotation is RepDuty.last_assigned_at: the rep who waited longest gets
the next alert. The on-duty rows are locked while a batch is assigned, so
two workers never hand the same turn to the same rep.
"""
from datetime import timedelta

from django.db.models import F

from accounts.roles import Role
from contacts.models import Contact

from .models import RepDuty, Routing

OWNER, ROUND_ROBIN = "owner", "round_robin"


def reps_on_duty_locked():
    """On-duty, active inside-sales users' duty rows, next in turn first, locked for this transaction."""
    return list(RepDuty.objects.select_for_update(of=("self",))
                .filter(on_duty=True, user__is_active=True, user__groups__name=Role.INSIDE_SALES)
                .order_by(F("last_assigned_at").asc(nulls_first=True), "user_id"))


def assignees_for(*, trigger, contact_ids, now):
    """{contact_id: (user_id | None, "owner" | "round_robin" | "")} for these contacts."""
    ids = sorted(set(contact_ids))
    chosen = {}
    if trigger.routing == Routing.OWNER_ELSE_ROUND_ROBIN:
        owners = dict(Contact.objects.filter(pk__in=ids, owner__isnull=False, owner__is_active=True)
                      .values_list("pk", "owner_id"))
        chosen = {cid: (owner_id, OWNER) for cid, owner_id in owners.items()}
    rest = [cid for cid in ids if cid not in chosen]
    if rest:
        duties = reps_on_duty_locked()
        if duties:
            last_turn = {}
            for position, contact_id in enumerate(rest):
                duty = duties[position % len(duties)]
                chosen[contact_id] = (duty.user_id, ROUND_ROBIN)
                last_turn[duty.pk] = position
            for duty in duties:
                if duty.pk in last_turn:
                    # Microseconds keep this batch's order for the next one.
                    RepDuty.objects.filter(pk=duty.pk).update(
                        last_assigned_at=now + timedelta(microseconds=last_turn[duty.pk]))
        else:
            chosen.update({cid: (None, "") for cid in rest})
    return chosen


def rep_duty_set(*, user, on_duty):
    duty, _created = RepDuty.objects.get_or_create(user=user)
    if duty.on_duty != on_duty:
        RepDuty.objects.filter(pk=duty.pk).update(on_duty=on_duty)
        duty.on_duty = on_duty
    return duty
