"""One alert per contact per trigger per quiet period, even with two workers; and who gets it."""
import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection, transaction

from accounts.roles import Role
from alerts import evaluate
from alerts.models import Alert, AlertGate, RepDuty, Routing, Trigger, TriggerKind
from alerts.routing import rep_duty_set

from .conftest import NOW, alerts_for, evaluate_batch, make_contact, touch

PRICING = "https://example.jp/pricing"


@pytest.mark.django_db
def test_second_view_inside_the_quiet_period_fires_nothing_and_after_it_fires_again():
    Trigger.objects.filter(kind=TriggerKind.PAGE_VIEW).update(dedup_hours=24)
    contact = make_contact(last_touch_days=1)
    assert len(evaluate_batch([touch(contact, url=PRICING)], now=NOW)) == 1
    later = NOW + timedelta(hours=23, minutes=59)
    assert evaluate_batch([touch(contact, url=PRICING + "?2", at=later)], now=later) == []
    after = NOW + timedelta(hours=24)
    assert len(evaluate_batch([touch(contact, url=PRICING + "?3", at=after)], now=after)) == 1
    assert [a.fired_at for a in alerts_for(contact, TriggerKind.PAGE_VIEW)] == [NOW, after]


@pytest.mark.django_db
def test_the_window_is_per_contact_and_per_trigger():
    a, b = make_contact(last_touch_days=300), make_contact(last_touch_days=300)
    evaluate_batch([touch(a, url=PRICING), touch(b, url=PRICING)])
    assert Alert.objects.filter(trigger__kind=TriggerKind.PAGE_VIEW).count() == 2
    assert Alert.objects.filter(trigger__kind=TriggerKind.DORMANT_RETURN).count() == 2


@pytest.mark.django_db
def test_many_touches_of_one_contact_in_one_batch_make_one_alert():
    contact = make_contact(last_touch_days=1)
    batch = [touch(contact, url=f"{PRICING}?p={i}", at=NOW + timedelta(seconds=i)) for i in range(5)]
    assert len(evaluate_batch(batch)) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_the_same_contact_store_exactly_one_alert():
    contact = make_contact(last_touch_days=1)
    trigger = Trigger.objects.get(kind=TriggerKind.PAGE_VIEW)
    barrier = threading.Barrier(4)
    results = []

    def worker():
        try:
            barrier.wait()
            with transaction.atomic():
                stored = evaluate.alerts_fire([(trigger, contact.pk, {"kind": "page_view", "url": PRICING})],
                                              touches_by_contact={}, now=NOW)
            results.append(len(stored))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 0, 0, 1]
    assert Alert.objects.filter(contact=contact).count() == 1
    assert AlertGate.objects.get(contact=contact).quiet_until == NOW + timedelta(hours=24)


def _rep(name, on_duty=None):
    user = User.objects.create_user(username=name, email=f"{name}@example.com", password="x" * 12)
    user.groups.add(Group.objects.get_or_create(name=Role.INSIDE_SALES)[0])
    if on_duty is not None:
        rep_duty_set(user=user, on_duty=on_duty)
    return user


@pytest.mark.django_db
def test_alert_goes_to_the_contacts_owner():
    owner = _rep("owner", on_duty=False)
    _rep("duty", on_duty=True)
    contact = make_contact(last_touch_days=1, owner=owner)
    [alert] = evaluate_batch([touch(contact, url=PRICING)])
    assert (alert.assignee, alert.routed_by) == (owner, "owner")


@pytest.mark.django_db
def test_contacts_without_owner_go_round_robin_to_reps_on_duty_only():
    first, second = _rep("first", on_duty=True), _rep("second", on_duty=True)
    _rep("resting", on_duty=False)
    contacts = [make_contact(last_touch_days=1) for _ in range(3)]
    evaluate_batch([touch(c, url=PRICING) for c in contacts])
    assignees = [alerts_for(c)[0].assignee.username for c in contacts]
    assert assignees == ["first", "second", "first"]
    # The rotation continues in the next batch: "second" waited longest.
    nxt = make_contact(last_touch_days=1)
    later = NOW + timedelta(minutes=1)
    evaluate_batch([touch(nxt, url=PRICING, at=later)], now=later)
    assert alerts_for(nxt)[0].assignee == second
    assert RepDuty.objects.get(user=first).last_assigned_at < RepDuty.objects.get(user=second).last_assigned_at


@pytest.mark.django_db
def test_round_robin_trigger_ignores_the_owner_and_nobody_on_duty_leaves_it_unassigned():
    owner = _rep("owner")
    Trigger.objects.filter(kind=TriggerKind.PAGE_VIEW).update(routing=Routing.ROUND_ROBIN)
    contact = make_contact(last_touch_days=1, owner=owner)
    [alert] = evaluate_batch([touch(contact, url=PRICING)])
    assert (alert.assignee, alert.routed_by) == (None, "")


@pytest.mark.django_db
def test_an_inactive_owner_does_not_get_the_alert():
    owner = _rep("gone")
    owner.is_active = False
    owner.save()
    duty = _rep("duty", on_duty=True)
    contact = make_contact(last_touch_days=1, owner=owner)
    [alert] = evaluate_batch([touch(contact, url=PRICING)])
    assert (alert.assignee, alert.routed_by) == (duty, "round_robin")
