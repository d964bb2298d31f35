"""The request that stores a touch only stores an intake; a lost doorbell is found by the sweep."""
import pytest

from alerts import tasks
from alerts.models import Alert, AlertIntake, TriggerKind
from contacts.models import TouchKind
from contacts.services import touch_event_record

from .conftest import NOW, make_contact

pytestmark = pytest.mark.django_db


def test_a_broker_failure_never_fails_the_touch_and_the_sweep_fires_the_alert_later(
        monkeypatch, django_capture_on_commit_callbacks):
    contact = make_contact(last_touch_days=300)

    def broker_down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(tasks.intake_process, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        event, created = touch_event_record(contact=contact, kind=TouchKind.PAGE_VIEW, occurred_at=NOW,
                                            url="https://example.jp/pricing")
    assert created
    [intake] = AlertIntake.objects.all()
    assert intake.done_at is None and Alert.objects.count() == 0
    monkeypatch.undo()
    AlertIntake.objects.filter(pk=intake.pk).update(created_at=NOW)  # older than the sweep's grace period
    with django_capture_on_commit_callbacks(execute=True):
        tasks.alerts_sweep()
    assert sorted(Alert.objects.values_list("trigger__kind", flat=True)) == [TriggerKind.DORMANT_RETURN,
                                                                          TriggerKind.PAGE_VIEW]
    assert AlertIntake.objects.get().done_at is not None


def test_touch_recording_does_not_evaluate_triggers_in_the_request(monkeypatch, django_capture_on_commit_callbacks):
    contact = make_contact(last_touch_days=300)
    rung = []
    monkeypatch.setattr(tasks.intake_process, "delay", lambda pk: rung.append(pk))
    with django_capture_on_commit_callbacks(execute=True):
        touch_event_record(contact=contact, kind=TouchKind.PAGE_VIEW, occurred_at=NOW, url="https://example.jp/p")
    assert rung == [AlertIntake.objects.get().pk]
    assert Alert.objects.count() == 0
