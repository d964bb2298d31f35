"""Step sequences: entry on a segment or a touch, step timing, exits, re-entry, call tasks, wait-until."""
from datetime import timedelta

import pytest
from django.urls import reverse

from campaigns.models import CallTask, Delivery, DeliveryStatus, Enrollment, EnrollmentStatus, StepKind, Suppression
from contacts.services import touch_event_record

from .conftest import CUSTOMER, T0, email_step, enter, make_contacts, run, sequence

pytestmark = pytest.mark.django_db


def _touch(contact, kind, at, url="", bot=False):
    return touch_event_record(contact=contact, kind=kind, occurred_at=at, url=url, flagged_as_bot=bot)[0]


def test_contacts_entering_the_segment_after_start_are_enrolled_and_get_the_first_email(sender, templates, segment):
    before, after = make_contacts(1, prefix="old"), make_contacts(2, prefix="new")
    enter(segment, before, T0 - timedelta(hours=1))
    campaign = sequence(sender, segment, [email_step(templates[0])])
    enter(segment, after, T0 + timedelta(minutes=5))

    run(now=T0 + timedelta(minutes=6))

    assert sorted(Enrollment.objects.filter(campaign=campaign).values_list("contact_id", flat=True)) == [
        c.pk for c in after]
    deliveries = Delivery.objects.filter(step__campaign=campaign)
    assert sorted(deliveries.values_list("contact_id", flat=True)) == [c.pk for c in after]
    assert set(deliveries.values_list("status", flat=True)) == {DeliveryStatus.QUEUED}
    assert set(Enrollment.objects.filter(campaign=campaign).values_list("status", flat=True)) == {"completed"}


def test_draft_sequence_enrols_nobody(sender, templates, segment):
    contacts = make_contacts(2)
    sequence(sender, segment, [email_step(templates[0])], start=None)
    enter(segment, contacts, T0)
    run(now=T0 + timedelta(minutes=1))
    assert Enrollment.objects.count() == 0


def test_touch_trigger_enrols_on_matching_kind_and_url_but_not_bots(sender, templates, segment):
    a, b, c, d = make_contacts(4)
    campaign = sequence(sender, None, [email_step(templates[0])],
                        trigger={"type": "touch", "kind": "download", "url_contains": "/whitepaper"}, exit_on=[])
    _touch(a, "download", T0 + timedelta(minutes=1), url="https://ex.jp/whitepaper-2026.pdf")
    _touch(b, "download", T0 + timedelta(minutes=1), url="https://ex.jp/pricing.pdf")
    _touch(c, "page_view", T0 + timedelta(minutes=1), url="https://ex.jp/whitepaper")
    _touch(d, "download", T0 + timedelta(minutes=1), url="https://ex.jp/whitepaper", bot=True)
    _touch(b, "download", T0 - timedelta(days=1), url="https://ex.jp/whitepaper")  # before the start

    run(now=T0 + timedelta(minutes=2))

    assert list(Enrollment.objects.filter(campaign=campaign).values_list("contact_id", flat=True)) == [a.pk]


def test_steps_wait_their_days_and_hours(sender, templates, segment):
    (contact,) = make_contacts(1)
    campaign = sequence(sender, segment, [
        email_step(templates[0]),
        email_step(templates[1], wait_days=2, wait_hours=3),
    ])
    entered = T0 + timedelta(minutes=1)
    enter(segment, [contact], entered)

    run(now=entered)
    assert Delivery.objects.filter(step__position=1).count() == 1
    enrollment = Enrollment.objects.get(campaign=campaign)
    assert enrollment.next_position == 2
    assert enrollment.next_at == entered + timedelta(days=2, hours=3)

    run(now=entered + timedelta(days=2, hours=2))
    assert Delivery.objects.filter(step__position=2).count() == 0
    run(now=entered + timedelta(days=2, hours=3))
    assert Delivery.objects.filter(step__position=2).count() == 1
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.COMPLETED


def _two_step(sender, templates, segment, **overrides):
    return sequence(sender, segment, [email_step(templates[0]), email_step(templates[1], wait_days=3)], **overrides)


@pytest.mark.parametrize(("reason", "act"), [
    ("reply", lambda c, seg, at: _touch(c, "reply", at)),
    ("meeting", lambda c, seg, at: _touch(c, "meeting", at)),
    ("active", lambda c, seg, at: _touch(c, "page_view", at, url="https://ex.jp/pricing")),
    ("left_segment", lambda c, seg, at: enter(seg, [c], at, kind="leave")),
    ("unsubscribed", lambda c, seg, at: Suppression.objects.create(email=c.email, reason="unsubscribed")),
])
def test_each_exit_stops_the_sequence_before_the_next_step(sender, templates, segment, reason, act):
    contact, other = make_contacts(2)
    campaign = _two_step(sender, templates, segment)
    enter(segment, [contact, other], T0 + timedelta(minutes=1))
    run(now=T0 + timedelta(minutes=1))

    act(contact, segment, T0 + timedelta(days=1))
    run(now=T0 + timedelta(days=4))

    exited = Enrollment.objects.get(campaign=campaign, contact=contact)
    assert (exited.status, exited.exit_reason, exited.next_at) == (EnrollmentStatus.EXITED, reason, None)
    assert Delivery.objects.filter(step__position=2, contact=contact).count() == 0
    assert Delivery.objects.filter(step__position=2, contact=other).count() == 1


def test_opening_our_own_mail_is_not_becoming_active(sender, templates, segment):
    (contact,) = make_contacts(1)
    campaign = _two_step(sender, templates, segment, exit_on=["active"])
    enter(segment, [contact], T0 + timedelta(minutes=1))
    run(now=T0 + timedelta(minutes=1))
    _touch(contact, "email_open", T0 + timedelta(hours=2))
    run(now=T0 + timedelta(days=4))
    assert Enrollment.objects.get(campaign=campaign).status == EnrollmentStatus.COMPLETED


def test_opted_out_contact_exits_when_unsubscribed_is_ticked(sender, templates, segment):
    (contact,) = make_contacts(1)
    campaign = _two_step(sender, templates, segment, exit_on=["unsubscribed"])
    enter(segment, [contact], T0 + timedelta(minutes=1))
    run(now=T0 + timedelta(minutes=1))
    contact.consent = "opted_out"
    contact.save()
    run(now=T0 + timedelta(minutes=2))
    assert Enrollment.objects.get(campaign=campaign).exit_reason == "unsubscribed"


def test_exit_withdraws_a_queued_delivery(sender, templates, segment):
    (contact,) = make_contacts(1)
    campaign = _two_step(sender, templates, segment, exit_on=["reply"])
    enter(segment, [contact], T0 + timedelta(minutes=1))
    run(now=T0 + timedelta(minutes=1))
    _touch(contact, "reply", T0 + timedelta(minutes=3))
    run(now=T0 + timedelta(minutes=4))
    delivery = Delivery.objects.get(step__campaign=campaign)
    assert (delivery.status, delivery.reason) == (DeliveryStatus.SUPPRESSED, "exited")


def _finish_then_reenter(sender, templates, segment, allow):
    (contact,) = make_contacts(1)
    campaign = sequence(sender, segment, [email_step(templates[0])], allow_reentry=allow, exit_on=[])
    enter(segment, [contact], T0 + timedelta(minutes=1))
    run(now=T0 + timedelta(minutes=1))
    enter(segment, [contact], T0 + timedelta(days=10))
    run(now=T0 + timedelta(days=10, minutes=1))
    return campaign, contact


def test_reentry_is_off_by_default(sender, templates, segment):
    campaign, contact = _finish_then_reenter(sender, templates, segment, allow=False)
    assert Enrollment.objects.filter(campaign=campaign).count() == 1
    assert Delivery.objects.filter(contact=contact).count() == 1


def test_reentry_when_allowed_starts_a_new_cycle(sender, templates, segment):
    campaign, contact = _finish_then_reenter(sender, templates, segment, allow=True)
    assert list(Enrollment.objects.filter(campaign=campaign).order_by("cycle").values_list("cycle", "status")) == [
        (0, "completed"), (1, "completed")]
    assert sorted(Delivery.objects.filter(contact=contact).values_list("occurrence", flat=True)) == [0, 1]


def test_call_task_goes_to_the_owner_with_context_and_shows_on_their_call_list(
        sender, templates, segment, rep, persona_client):
    (contact,) = make_contacts(1, owner=rep)
    _touch(contact, "webinar", T0 - timedelta(days=40))
    campaign = sequence(sender, segment, [{"kind": StepKind.CALL_TASK, "purpose": "Ask about the webinar"}],
                        name="Webinar follow-up")
    enter(segment, [contact], T0 + timedelta(minutes=1))
    run(now=T0 + timedelta(minutes=1))

    task = CallTask.objects.get()
    assert (task.assigned_to, task.contact, task.step.campaign) == (rep, contact, campaign)
    assert "Webinar follow-up" in task.note and "Ask about the webinar" in task.note and "webinar" in task.note
    page = persona_client(rep).get(reverse("scoring:call_list")).content.decode()
    assert 'id="call-tasks"' in page and "Ask about the webinar" in page

    persona_client(rep).post(reverse("campaigns:call_task_done", args=[task.pk]), {"outcome": "reached"})
    task.refresh_from_db()
    assert (task.status, task.outcome) == ("done", "reached")


def test_call_task_of_another_rep_cannot_be_closed(sender, templates, segment, rep, other_rep, persona_client):
    (contact,) = make_contacts(1, owner=rep)
    sequence(sender, segment, [{"kind": StepKind.CALL_TASK, "purpose": "Call"}])
    enter(segment, [contact], T0 + timedelta(minutes=1))
    run(now=T0 + timedelta(minutes=1))
    task = CallTask.objects.get()
    persona_client(other_rep).post(reverse("campaigns:call_task_done", args=[task.pk]))
    task.refresh_from_db()
    assert task.status == "open"


def test_wait_until_moves_on_when_the_condition_holds_and_gives_up_after_the_limit(sender, templates, segment):
    waits, never = make_contacts(2, status="lost")
    campaign = sequence(sender, segment, [
        {"kind": StepKind.WAIT_UNTIL, "condition": CUSTOMER, "wait_days": 5, "name": "Customers"},
        email_step(templates[0]),
    ], exit_on=[])
    enter(segment, [waits, never], T0 + timedelta(minutes=1))
    run(now=T0 + timedelta(minutes=1))
    assert Delivery.objects.count() == 0

    waits.status = "customer"
    waits.save()
    run(now=T0 + timedelta(days=1))
    assert list(Delivery.objects.values_list("contact_id", flat=True)) == [waits.pk]

    run(now=T0 + timedelta(days=5, minutes=1))
    gave_up = Enrollment.objects.get(campaign=campaign, contact=never)
    assert (gave_up.status, gave_up.exit_reason) == (EnrollmentStatus.EXITED, "condition_not_met")
    assert Delivery.objects.count() == 1


def test_holdout_is_reproducible_and_recorded(sender, templates, segment):
    contacts = make_contacts(40)
    campaign = sequence(sender, segment, [email_step(templates[0])], holdout_percent=25)
    enter(segment, contacts, T0 + timedelta(minutes=1))
    run(now=T0 + timedelta(minutes=1))
    held = set(Enrollment.objects.filter(campaign=campaign, exit_reason="holdout").values_list("contact_id", flat=True))
    assert 0 < len(held) < 40
    assert not Delivery.objects.filter(contact_id__in=held).exists()
    assert Delivery.objects.count() == 40 - len(held)
    from campaigns.flows.rules import is_held_out

    assert held == {c.pk for c in contacts if is_held_out(campaign, c.pk)}


def test_variant_b_goes_to_its_share_reproducibly(sender, templates, segment):
    contacts = make_contacts(60)
    campaign = sequence(sender, segment, [email_step(templates[0], template_b=templates[1])], variant_b_percent=50)
    enter(segment, contacts, T0 + timedelta(minutes=1))
    run(now=T0 + timedelta(minutes=1))
    variants = dict(Delivery.objects.values_list("contact_id", "variant"))
    from campaigns.flows.rules import variant_for

    step = campaign.steps.get()
    assert variants == {c.pk: variant_for(campaign, step, c.pk) for c in contacts}
    assert 10 < list(variants.values()).count("B") < 50


def test_running_twice_creates_nothing_twice(sender, templates, segment, rep):
    contacts = make_contacts(5, owner=rep)
    sequence(sender, segment, [email_step(templates[0]), {"kind": StepKind.CALL_TASK, "purpose": "Call"}])
    enter(segment, contacts, T0 + timedelta(minutes=1))
    run(now=T0 + timedelta(minutes=1))
    # A second, overlapping pass that re-reads everything (cursor reset) writes nothing new.
    from campaigns.models import FlowSettings

    FlowSettings.objects.update(cursor=0)
    Enrollment.objects.update(status="active", next_position=1, next_at=T0)
    run(now=T0 + timedelta(minutes=1))
    assert Enrollment.objects.count() == 5
    assert Delivery.objects.count() == 5
    assert CallTask.objects.count() == 5


def _queries_for(n, sender, templates, rep, django_assert_max_num_queries, prefix):
    from segments.models import Segment

    segment = Segment.objects.create(name=prefix, definition=CUSTOMER)
    contacts = make_contacts(n, owner=rep, prefix=prefix)
    sequence(sender, segment, [email_step(templates[0]), {"kind": StepKind.CALL_TASK, "purpose": "Call"},
                               {"kind": StepKind.WAIT_UNTIL, "condition": CUSTOMER, "wait_days": 1},
                               email_step(templates[1])], name=prefix)
    enter(segment, contacts, T0 + timedelta(minutes=1))
    with django_assert_max_num_queries(60) as captured:
        run(now=T0 + timedelta(minutes=1))
    assert Delivery.objects.filter(step__campaign__name=prefix).count() == n
    return len(captured.captured_queries)


def test_query_count_does_not_grow_with_contacts(sender, templates, rep, django_assert_max_num_queries):
    small = _queries_for(5, sender, templates, rep, django_assert_max_num_queries, "small")
    big = _queries_for(50, sender, templates, rep, django_assert_max_num_queries, "big")
    # The second campaign's pass also visits the first (finished steps): a constant few more queries. SQLite binds
    # at most 999 values a statement (Django's max_query_params): 50 delivery rows of 21 columns are two INSERTs.
    from django.db import connection

    assert big - small <= (13 if connection.vendor == "sqlite" else 12)
