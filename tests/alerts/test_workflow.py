"""Claim, log the outcome, snooze: conditional on the alert's state, with the call on the timeline."""
from datetime import timedelta

import pytest
from django.urls import reverse

from alerts import services
from alerts.models import Alert, AlertStatus, Outcome, Reactivation, TriggerKind
from alerts.services import AlertActionRefused
from contacts.models import TouchEvent, TouchKind

from .conftest import NOW, evaluate_batch, make_contact, touch

pytestmark = pytest.mark.django_db
PRICING = "https://example.jp/pricing"


def _alert(owner=None):
    contact = make_contact(last_touch_days=1, owner=owner)
    [alert] = evaluate_batch([touch(contact, url=PRICING)])
    return alert


def test_claim_takes_an_unassigned_alert_and_a_second_rep_is_refused(rep, other_rep):
    alert = _alert()
    services.alert_claim(alert=alert, user=rep, now=NOW)
    with pytest.raises(AlertActionRefused):
        services.alert_claim(alert=alert, user=other_rep, now=NOW + timedelta(seconds=1))
    alert.refresh_from_db()
    assert (alert.status, alert.assignee, alert.claimed_at) == (AlertStatus.CLAIMED, rep, NOW)


def test_outcome_closes_the_alert_and_puts_a_call_on_the_timeline(rep):
    alert = _alert(owner=rep)
    services.alert_outcome_log(alert=alert, user=rep, outcome=Outcome.NO_ANSWER, note="voicemail", now=NOW)
    alert.refresh_from_db()
    assert (alert.status, alert.outcome, alert.done_at, alert.claimed_at) == (AlertStatus.DONE, "no_answer", NOW, NOW)
    call = TouchEvent.objects.get(contact=alert.contact, kind=TouchKind.CALL)
    assert call.detail == "call outcome: no answer — voicemail"
    assert Reactivation.objects.count() == 0
    with pytest.raises(AlertActionRefused):
        services.alert_outcome_log(alert=alert, user=rep, outcome=Outcome.REACHED, now=NOW)
    assert TouchEvent.objects.filter(contact=alert.contact, kind=TouchKind.CALL).count() == 1


def test_meeting_booked_marks_the_contact_reactivated(rep):
    alert = _alert(owner=rep)
    services.alert_outcome_log(alert=alert, user=rep, outcome=Outcome.MEETING_BOOKED, now=NOW)
    reactivation = Reactivation.objects.get()
    assert (reactivation.contact_id, reactivation.alert_id, reactivation.by, reactivation.at) == (
        alert.contact_id, alert.pk, rep, NOW)


def test_a_rep_cannot_act_on_someone_elses_alert(rep, other_rep, client):
    alert = _alert(owner=rep)
    client.force_login(other_rep)
    response = client.post(reverse("alerts:outcome", args=[alert.pk]), {"outcome": "reached"})
    assert response.status_code == 404
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    assert not TouchEvent.objects.filter(contact=alert.contact, kind=TouchKind.CALL).exists()


def test_snooze_hides_until_the_time_then_the_sweep_reopens_it(rep):
    alert = _alert(owner=rep)
    services.alert_snooze(alert=alert, user=rep, until=NOW + timedelta(hours=2), now=NOW)
    assert services.snoozed_wake(now=NOW + timedelta(hours=1)) == 0
    assert services.snoozed_wake(now=NOW + timedelta(hours=2)) == 1
    alert.refresh_from_db()
    assert (alert.status, alert.snoozed_until) == (AlertStatus.OPEN, None)


def test_the_call_logged_from_an_alert_fires_no_new_alert(rep):
    alert = _alert(owner=rep)
    from django.test.utils import CaptureQueriesContext  # noqa: F401

    services.alert_outcome_log(alert=alert, user=rep, outcome=Outcome.REACHED, now=NOW + timedelta(minutes=1))
    assert Alert.objects.count() == 1
    assert Alert.objects.filter(trigger__kind=TriggerKind.PAGE_VIEW).count() == 1


def test_inbox_actions_through_the_pages(rep, client):
    alert = _alert(owner=rep)
    client.force_login(rep)
    assert client.post(reverse("alerts:claim", args=[alert.pk])).status_code == 302
    assert client.post(reverse("alerts:outcome", args=[alert.pk]),
                       {"outcome": "meeting_booked", "note": "Tue 10:00"}).status_code == 302
    alert.refresh_from_db()
    assert (alert.status, alert.outcome, alert.note) == (AlertStatus.DONE, "meeting_booked", "Tue 10:00")
    assert Reactivation.objects.filter(alert=alert).exists()
