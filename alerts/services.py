"""What reps do with alerts: claim, log the outcome of the call, snooze; and the intake of new facts.

Every change is a conditional UPDATE on the alert's current state, so two
reps clicking at once cannot both claim it and a finished alert stays
finished.
"""
import logging
from functools import partial

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from contacts.models import TouchKind, TouchSource
from contacts.services import touch_event_record

from .models import Alert, AlertIntake, AlertStatus, IntakeKind, Outcome, Reactivation

log = logging.getLogger(__name__)


class AlertActionRefused(Exception):
    """The alert is not in a state (or not assigned in a way) that allows this action."""


# -- intake ---------------------------------------------------------------------------------


def _iso(value):
    return value.isoformat() if value is not None else None


def intake_store(*, kind, payload):
    """Store something to evaluate and ring the doorbell; never raises (ingestion must not fail because of us)."""
    try:
        with transaction.atomic():
            intake = AlertIntake.objects.create(kind=kind, payload=payload)
            transaction.on_commit(partial(_enqueue, intake.pk))
        return intake
    except Exception:
        log.exception("alerts: could not store an intake of kind %s", kind)
        return None


def _enqueue(intake_id):
    from .tasks import intake_process

    try:
        intake_process.delay(intake_id)
    except Exception:  # the sweep finds the row
        log.exception("alerts: could not enqueue intake %s", intake_id)


def touches_intake(events):
    """Keep the non-bot touches of a stored batch for evaluation."""
    # vars(): StoredTouch is flat, and asdict's recursive deep copy was half of a tracking drain's time.
    rows = [{**vars(event), "occurred_at": _iso(event.occurred_at),
             "previous_touch_at": _iso(event.previous_touch_at), "url": event.url or "", "detail": event.detail or ""}
            for event in events if not event.flagged_as_bot]
    return intake_store(kind=IntakeKind.TOUCHES, payload=rows) if rows else None


def hot_intake(*, contacts, threshold):
    rows = [{"contact_id": contact_id, "score": round(score, 1)} for contact_id, score in contacts]
    return intake_store(kind=IntakeKind.HOT, payload={"contacts": rows, "threshold": threshold}) if rows else None


def rescue_intake(choice):
    return intake_store(kind=IntakeKind.RESCUE, payload={
        "contact_id": choice.contact_id, "option": choice.option.label, "contract": choice.contract.external_id,
        "expires_at": _iso(choice.contract.expires_at), "chosen_at": _iso(choice.chosen_at)})


# -- the rep's workflow -----------------------------------------------------------------------


def _mine_or_unassigned(user):
    return Q(assignee=user) | Q(assignee__isnull=True)


def alert_claim(*, alert, user, now):
    """Take an open (or snoozed) alert: mine or unassigned. Raises AlertActionRefused otherwise."""
    updated = Alert.objects.filter(
        _mine_or_unassigned(user), pk=alert.pk, status__in=[AlertStatus.OPEN, AlertStatus.SNOOZED],
    ).update(status=AlertStatus.CLAIMED, assignee=user, claimed_at=now, snoozed_until=None, changed_at=now)
    if not updated:
        raise AlertActionRefused(_("Someone else has this alert, or it is already done."))
    alert.refresh_from_db()
    return alert


OUTCOME_TEXT = {
    Outcome.REACHED: "reached", Outcome.NO_ANSWER: "no answer", Outcome.MEETING_BOOKED: "meeting booked",
    Outcome.NOT_INTERESTED: "not interested", Outcome.WRONG_PERSON: "wrong person",
}


def alert_outcome_log(*, alert, user, outcome, note="", now):
    """Finish the alert with the call's outcome; the call becomes a touch, a booked meeting a reactivation.

    The rep must hold the alert (or it must be unassigned or theirs and not done).
    """
    if outcome not in Outcome.values:
        raise AlertActionRefused(_("Choose an outcome."))
    with transaction.atomic():
        updated = Alert.objects.filter(
            _mine_or_unassigned(user), pk=alert.pk,
            status__in=[AlertStatus.OPEN, AlertStatus.CLAIMED, AlertStatus.SNOOZED],
        ).update(status=AlertStatus.DONE, assignee=user, outcome=outcome, note=note[:1000], done_at=now,
                 snoozed_until=None, changed_at=now)
        if not updated:
            raise AlertActionRefused(_("Someone else has this alert, or it is already done."))
        Alert.objects.filter(pk=alert.pk, claimed_at__isnull=True).update(claimed_at=now)
        alert.refresh_from_db()
        # The timeline keeps the call (in English, like every stored detail); a reply to it never re-alerts:
        # calls are not inbound touches.
        detail = f"call outcome: {OUTCOME_TEXT[Outcome(outcome)]}" + (f" — {note}" if note else "")
        touch_event_record(contact=alert.contact, kind=TouchKind.CALL, occurred_at=now.replace(microsecond=0),
                           detail=detail[:1000], source=TouchSource.MANUAL)
        if outcome == Outcome.MEETING_BOOKED:
            Reactivation.objects.get_or_create(alert=alert, defaults={"contact": alert.contact, "by": user, "at": now})
    return alert


def alert_snooze(*, alert, user, until, now):
    if until <= now:
        raise AlertActionRefused(_("Choose a time in the future."))
    updated = Alert.objects.filter(
        _mine_or_unassigned(user), pk=alert.pk, status__in=[AlertStatus.OPEN, AlertStatus.CLAIMED],
    ).update(status=AlertStatus.SNOOZED, assignee=user, snoozed_until=until, changed_at=now)
    if not updated:
        raise AlertActionRefused(_("Someone else has this alert, or it is already done."))
    alert.refresh_from_db()
    return alert


def snoozed_wake(*, now):
    """Snoozed alerts whose time has come are open again (and show up in the inbox as new)."""
    return Alert.objects.filter(status=AlertStatus.SNOOZED, snoozed_until__lte=now).update(
        status=AlertStatus.OPEN, snoozed_until=None, changed_at=now)
