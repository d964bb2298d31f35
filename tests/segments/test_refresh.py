"""Membership snapshots: set-based refresh, enter/leave history, idempotence, the command and tasks."""
import threading
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection

from contacts.models import Contact, Contract
from segments import tasks
from segments.models import ChangeKind, Segment, SegmentChange, SegmentMembership
from segments.services import segment_refresh

from .conftest import TZ

RUN = datetime(2026, 6, 15, 9, 0, tzinfo=TZ)
LOST = {"op": "and", "items": [{"type": "attribute", "field": "status", "op": "equals", "value": "lost"}]}


def _members(segment):
    return set(SegmentMembership.objects.filter(segment=segment).values_list("contact__email", flat=True))


def _changes(segment, kind):
    return set(SegmentChange.objects.filter(segment=segment, kind=kind).values_list("contact__email", flat=True))


@pytest.fixture
def segment(db):
    for email, status in [("a@x.jp", "lost"), ("b@x.jp", "lost"), ("c@x.jp", "lead")]:
        Contact.objects.create(email=email, status=status)
    return Segment.objects.create(name="Lost", definition=LOST)


@pytest.mark.django_db
def test_first_run_is_a_baseline_then_second_run_records_nothing(segment):
    result = segment_refresh(segment_id=segment.pk, run_at=RUN)
    assert (result.members, result.entered, result.left) == (2, 2, 0)
    assert _members(segment) == {"a@x.jp", "b@x.jp"}
    # Members already there when the segment was first computed did not "enter": no change rows.
    assert not SegmentChange.objects.exists()
    assert set(SegmentMembership.objects.values_list("entered_at", flat=True)) == {RUN}
    again = segment_refresh(segment_id=segment.pk, run_at=RUN + timedelta(minutes=10))
    assert (again.members, again.entered, again.left) == (2, 0, 0)
    assert SegmentChange.objects.count() == 0
    segment.refresh_from_db()
    assert segment.member_count == 2 and segment.refreshed_at == RUN + timedelta(minutes=10)


@pytest.mark.django_db
def test_contacts_leaving_and_entering_are_recorded_in_one_run(segment):
    segment_refresh(segment_id=segment.pk, run_at=RUN)
    Contact.objects.filter(email="a@x.jp").update(status="customer")
    Contact.objects.filter(email="c@x.jp").update(status="lost")
    later = RUN + timedelta(hours=1)
    result = segment_refresh(segment_id=segment.pk, run_at=later)
    assert (result.members, result.entered, result.left) == (2, 1, 1)
    assert _members(segment) == {"b@x.jp", "c@x.jp"}
    run = SegmentChange.objects.filter(at=later)
    assert {(c.contact.email, c.kind) for c in run} == {("a@x.jp", "leave"), ("c@x.jp", "enter")}
    assert len({c.run_id for c in run}) == 1
    assert SegmentMembership.objects.get(contact__email="b@x.jp").entered_at == RUN


@pytest.mark.django_db
def test_refresh_with_dated_conditions_uses_run_date(db):
    contact = Contact.objects.create(email="d@x.jp")
    Contract.objects.create(contact=contact, external_id="K1", expires_at=RUN.date())
    segment = Segment.objects.create(name="Lapsing", definition={
        "op": "and", "items": [{"type": "lapse", "expiring_within_days": 30}]})
    assert segment_refresh(segment_id=segment.pk, run_at=RUN).entered == 1
    assert segment_refresh(segment_id=segment.pk, run_at=RUN + timedelta(days=1)).left == 1


@pytest.mark.django_db(transaction=True)
def test_overlapping_runs_record_each_change_once(segment):
    segment_refresh(segment_id=segment.pk, run_at=RUN - timedelta(hours=1))  # the baseline
    Contact.objects.filter(email="a@x.jp").update(status="customer")
    Contact.objects.filter(email="c@x.jp").update(status="lost")
    errors = []

    def run():
        try:
            segment_refresh(segment_id=segment.pk, run_at=RUN)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _members(segment) == {"b@x.jp", "c@x.jp"}
    assert set(SegmentChange.objects.values_list("contact__email", "kind")) == {
        ("a@x.jp", ChangeKind.LEAVE), ("c@x.jp", ChangeKind.ENTER)}
    assert SegmentChange.objects.count() == 2


@pytest.mark.django_db
def test_evaluate_segments_command(segment, capsys):
    Segment.objects.create(name="Off", definition=LOST, is_active=False)
    call_command("evaluate_segments")
    assert capsys.readouterr().out == f"{segment.pk} Lost: members 2, entered 2, left 0\n"
    call_command("evaluate_segments", "--segment", str(segment.pk))
    assert capsys.readouterr().out == f"{segment.pk} Lost: members 2, entered 0, left 0\n"


@pytest.mark.django_db(transaction=True)
def test_refresh_all_task_fans_out_to_active_segments(segment):
    off = Segment.objects.create(name="Off", definition=LOST, is_active=False)
    tasks.segments_refresh_all.delay()
    assert _members(segment) == {"a@x.jp", "b@x.jp"}
    assert not SegmentMembership.objects.filter(segment=off).exists()


@pytest.mark.django_db
def test_refresh_button_enqueues_on_commit(segment, persona_client, marketer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = persona_client(marketer).post(f"/segments/{segment.pk}/refresh/")
    assert response.status_code == 302
    assert _members(segment) == {"a@x.jp", "b@x.jp"}
