"""Bounded passes: a burst larger than FLOWS_PASS_LIMIT drains over several passes, exactly once and fairly."""
import threading
from contextlib import nullcontext
from datetime import date, timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from campaigns.flows import advance
from campaigns.flows import run as run_module
from campaigns.models import CallTask, Delivery, Enrollment, EnrollmentStatus, PlaybookTimeline, StepKind
from segments.models import Segment

from .conftest import CUSTOMER, T0, contract, email_step, enter, make_contacts, playbook, run, sequence

pytestmark = pytest.mark.django_db

LIMIT = 4


@pytest.fixture
def small_limit(settings):
    settings.FLOWS_PASS_LIMIT = LIMIT
    return LIMIT


def _deliveries(campaign, position):
    return sorted(Delivery.objects.filter(step__campaign=campaign, step__position=position)
                  .values_list("contact_id", flat=True))


def test_a_burst_of_entries_is_enrolled_and_mailed_over_several_passes_each_contact_once(
        small_limit, sender, templates, segment):
    contacts = make_contacts(10)
    campaign = sequence(sender, segment, [email_step(templates[0]), email_step(templates[1], wait_days=7)])
    enter(segment, contacts, T0 + timedelta(minutes=1))

    passes = []
    for minute in range(1, 6):
        summary = run(now=T0 + timedelta(minutes=minute))[campaign.pk]
        passes.append((summary["enrolled"], summary["more"], Enrollment.objects.filter(campaign=campaign).count(),
                       len(_deliveries(campaign, 1))))

    assert passes == [(4, True, 4, 4), (4, True, 8, 8), (2, False, 10, 10), (0, False, 10, 10), (0, False, 10, 10)]
    assert _deliveries(campaign, 1) == [c.pk for c in contacts]  # each contact once, nobody skipped
    assert set(Enrollment.objects.values_list("next_position", flat=True)) == {2}


def test_second_steps_falling_due_together_drain_oldest_due_first_each_once(small_limit, sender, templates, segment):
    contacts = make_contacts(10)
    campaign = sequence(sender, segment, [email_step(templates[0]), email_step(templates[1], wait_days=7)])
    enter(segment, contacts, T0 + timedelta(minutes=1))
    run(now=T0 + timedelta(minutes=1), limit=100)
    # The later a contact entered the list, the earlier its second mail falls due.
    week = T0 + timedelta(days=7)
    for index, contact in enumerate(contacts):
        Enrollment.objects.filter(contact=contact).update(next_at=week + timedelta(minutes=len(contacts) - index))

    served = []
    for minute in range(20, 24):
        summary = run(now=week + timedelta(minutes=minute))[campaign.pk]
        served.append((summary["moved"], summary["more"], _deliveries(campaign, 2)))

    newest_first = [c.pk for c in reversed(contacts)]
    assert served == [(4, True, sorted(newest_first[:4])), (4, True, sorted(newest_first[:8])),
                      (2, False, sorted(newest_first)), (0, False, sorted(newest_first))]
    assert set(Enrollment.objects.values_list("status", flat=True)) == {EnrollmentStatus.COMPLETED}
    assert Delivery.objects.count() == 20


def test_a_playbook_burst_gets_one_timeline_and_one_call_task_per_contract(small_limit, sender, templates, rep):
    contacts = make_contacts(7, owner=rep)
    contracts = [contract(c, date(2026, 3, 9), external_id=f"K{i}") for i, c in enumerate(contacts)]  # −7 is today
    campaign = playbook(sender, templates[0])

    passes = []
    for minute in range(4):
        summary = run(now=T0 + timedelta(minutes=minute))[campaign.pk]
        passes.append((summary["more"], PlaybookTimeline.objects.count(), CallTask.objects.count()))

    assert passes == [(True, 4, 4), (False, 7, 7), (False, 7, 7), (False, 7, 7)]
    assert sorted(PlaybookTimeline.objects.values_list("contract_id", flat=True)) == [k.pk for k in contracts]
    assert sorted(CallTask.objects.values_list("contact_id", flat=True)) == [c.pk for c in contacts]


def test_another_campaigns_due_step_is_served_in_the_first_pass_despite_a_burst(
        small_limit, sender, templates, segment):
    crowd = make_contacts(12, prefix="crowd")
    busy = sequence(sender, segment, [email_step(templates[0])], name="Busy")
    other_segment = Segment.objects.create(name="Webinar", definition=CUSTOMER)
    (lone,) = make_contacts(1, prefix="lone")
    quiet = sequence(sender, other_segment, [email_step(templates[1])], name="Quiet")
    assert busy.pk < quiet.pk  # the busy campaign comes first in the pass
    enter(segment, crowd, T0 + timedelta(minutes=1))
    enter(other_segment, [lone], T0 + timedelta(minutes=1))

    summary = run(now=T0 + timedelta(minutes=1))

    assert _deliveries(quiet, 1) == [lone.pk]
    assert len(_deliveries(busy, 1)) == LIMIT
    assert (summary[busy.pk]["more"], summary[quiet.pk]["more"]) == (True, False)


def test_a_matching_contact_is_not_given_up_when_the_pass_had_no_room_for_it(small_limit, sender, templates, segment):
    contacts = make_contacts(6, status="lost")
    campaign = sequence(sender, segment, [
        {"kind": StepKind.WAIT_UNTIL, "condition": CUSTOMER, "wait_days": 1, "name": "Customers"},
        email_step(templates[0]),
    ], exit_on=[])
    enter(segment, contacts, T0 + timedelta(minutes=1))
    run(now=T0 + timedelta(minutes=1), limit=100)
    for contact in contacts:
        contact.status = "customer"
        contact.save()

    later = T0 + timedelta(days=2)  # every wait is past its limit, and every contact matches
    run(now=later)
    assert Enrollment.objects.filter(status=EnrollmentStatus.EXITED).count() == 0
    for minute in range(1, 5):
        run(now=later + timedelta(minutes=minute))

    assert _deliveries(campaign, 2) == [c.pk for c in contacts]
    assert set(Enrollment.objects.values_list("status", flat=True)) == {EnrollmentStatus.COMPLETED}


def test_the_page_shows_what_waits_for_the_next_passes(small_limit, sender, templates, segment, marketer,
                                                      persona_client):
    contacts = make_contacts(10)
    campaign = sequence(sender, segment, [email_step(templates[0]), email_step(templates[1], wait_days=7)])
    enter(segment, contacts, T0 + timedelta(minutes=1))
    run(now=T0 + timedelta(minutes=1))  # four enrolled and mailed, six entries left for the next passes
    clock = timezone.now()  # the page counts what is due by the real clock
    Enrollment.objects.update(next_at=clock + timedelta(days=1))
    Enrollment.objects.filter(contact__in=contacts[:3]).update(next_at=clock - timedelta(minutes=5))

    page = persona_client(marketer).get(reverse("campaigns:flow_detail", args=[campaign.pk])).content.decode()

    assert 'id="waiting-entries">6 new entries waiting to be enrolled</p>' in page
    assert 'id="due-2">3 due now, waiting to be processed' in page
    assert 'id="due-1"' not in page


def test_a_playbook_page_shows_the_contracts_waiting_to_be_enrolled(small_limit, sender, templates, marketer,
                                                                   persona_client, monkeypatch):
    for i, contact in enumerate(make_contacts(7)):
        contract(contact, date(2027, 6, 1), external_id=f"W{i}")
    campaign = playbook(sender, templates[0])
    monkeypatch.setattr("campaigns.views_flows.timezone.now", lambda: T0)
    run(now=T0)

    page = persona_client(marketer).get(reverse("campaigns:flow_detail", args=[campaign.pk])).content.decode()

    assert 'id="waiting-entries">3 contracts waiting to be enrolled</p>' in page


def _threaded(target, count=2):
    errors, results = [], []

    def call():
        try:
            results.append(target())
        except Exception as error:  # noqa: BLE001 - asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(count)]
    return threads, results, errors


@pytest.mark.django_db(transaction=True)
def test_a_pass_that_starts_while_another_runs_does_nothing(sender, templates, segment, monkeypatch):
    contacts = make_contacts(6)
    campaign = sequence(sender, segment, [email_step(templates[0])])
    enter(segment, contacts, T0 + timedelta(minutes=1))
    inside, release = threading.Event(), threading.Event()
    real_advance = run_module.campaign_advance

    def held_advance(*args, **kwargs):
        inside.set()
        assert release.wait(10)
        return real_advance(*args, **kwargs)

    monkeypatch.setattr(run_module, "campaign_advance", held_advance)
    (first,), results, errors = _threaded(lambda: run(now=T0 + timedelta(minutes=1)), count=1)
    first.start()
    assert inside.wait(10)

    overlapping = run(now=T0 + timedelta(minutes=1))
    release.set()
    first.join()

    assert overlapping is None
    assert errors == [] and results[0][campaign.pk]["moved"] == 6
    assert _deliveries(campaign, 1) == [c.pk for c in contacts]
    assert run(now=T0 + timedelta(minutes=2)) is not None  # the lock went with the first pass


@pytest.mark.django_db(transaction=True)
def test_passes_that_overlap_anyway_write_each_delivery_and_call_task_once(sender, templates, segment, rep,
                                                                           monkeypatch):
    contacts = make_contacts(6, owner=rep)
    campaign = sequence(sender, segment, [email_step(templates[0]), {"kind": StepKind.CALL_TASK, "purpose": "Call"}])
    enter(segment, contacts, T0 + timedelta(minutes=1))
    # No lock (as on SQLite, or a lock lost with its connection); both passes read the same due rows first.
    monkeypatch.setattr(run_module, "pass_lock", lambda: nullcontext(True))
    barrier, first_call, real_perform = threading.Barrier(2, timeout=10), threading.local(), advance._perform

    def perform_after_both_read(*args, **kwargs):
        if not getattr(first_call, "done", False):
            first_call.done = True
            barrier.wait()
        return real_perform(*args, **kwargs)

    monkeypatch.setattr(advance, "_perform", perform_after_both_read)
    threads, results, errors = _threaded(lambda: run(now=T0 + timedelta(minutes=1)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(summary[campaign.pk]["moved"] for summary in results) == [0, 12]  # one pass did it all
    assert _deliveries(campaign, 1) == [c.pk for c in contacts]
    assert sorted(CallTask.objects.values_list("contact_id", flat=True)) == [c.pk for c in contacts]
    assert Enrollment.objects.filter(campaign=campaign).count() == 6
    assert set(Enrollment.objects.values_list("status", flat=True)) == {EnrollmentStatus.COMPLETED}
