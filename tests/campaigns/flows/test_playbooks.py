"""Expiry-rescue playbooks: one timeline per contract, phases on the lapse date, renewal and choices stop it."""
from datetime import UTC, date, datetime

import pytest

from campaigns import rescue
from campaigns.models import CallTask, Delivery, Enrollment, EnrollmentStatus, MessageTemplate, PlaybookTimeline
from campaigns.sending.send import deliveries_send

from .conftest import T0, contract, make_contacts, member, playbook, run

pytestmark = pytest.mark.django_db


def tokyo(day, hour=10):
    return datetime(day.year, day.month, day.day, hour - 9, tzinfo=UTC)


def test_a_contact_with_three_contracts_gets_three_timelines(sender, templates, rep):
    (contact,) = make_contacts(1, owner=rep)
    for i, lapse in enumerate([date(2026, 6, 1), date(2026, 7, 1), date(2026, 9, 1)]):
        contract(contact, lapse, external_id=f"K{i}")
    campaign = playbook(sender, templates[0])
    run(now=T0)
    timelines = PlaybookTimeline.objects.filter(campaign=campaign).order_by("lapse_date")
    assert [t.lapse_date for t in timelines] == [date(2026, 6, 1), date(2026, 7, 1), date(2026, 9, 1)]
    assert Enrollment.objects.filter(campaign=campaign, contact=contact).count() == 3
    assert len({t.token for t in timelines}) == 3


def test_phases_fall_on_each_contracts_lapse_date_and_past_phases_are_skipped(sender, templates, rep):
    (contact,) = make_contacts(1, owner=rep)
    far = contract(contact, date(2026, 6, 1), external_id="far")     # pre-notice 2026-04-02 still ahead
    near = contract(contact, date(2026, 3, 20), external_id="near")  # −60 and −30 already past: starts at −7
    campaign = playbook(sender, templates[0])
    run(now=T0)
    far_enrollment = Enrollment.objects.get(campaign=campaign, contract=far)
    near_enrollment = Enrollment.objects.get(campaign=campaign, contract=near)
    assert (far_enrollment.next_position, far_enrollment.next_at) == (1, tokyo(date(2026, 4, 2)))
    assert (near_enrollment.next_position, near_enrollment.next_at) == (3, tokyo(date(2026, 3, 13)))

    run(now=tokyo(date(2026, 3, 13)))
    task = CallTask.objects.get()
    assert (task.contact, task.assigned_to) == (contact, rep)
    assert "2026-03-20" in task.note
    near_enrollment.refresh_from_db()
    assert (near_enrollment.next_position, near_enrollment.next_at) == (4, tokyo(date(2026, 3, 27)))

    run(now=tokyo(date(2026, 4, 2)))
    delivery = Delivery.objects.get(contract=far)
    assert delivery.step.phase == "pre_notice"
    assert Delivery.objects.get(contract=near).step.phase == "after_lapse"


def test_renewal_stops_the_timeline(sender, templates):
    a, b = make_contacts(2)
    renewed, moved, kept = (contract(a, date(2026, 6, 1), "R"), contract(a, date(2026, 6, 1), "M"),
                            contract(b, date(2026, 6, 1), "K"))
    campaign = playbook(sender, templates[0])
    run(now=T0)
    renewed.status = "renewed"
    renewed.save()
    moved.expires_at = date(2027, 6, 1)
    moved.save()
    run(now=tokyo(date(2026, 4, 2)))
    stopped = Enrollment.objects.filter(campaign=campaign, contract__in=[renewed, moved])
    assert set(stopped.values_list("status", "exit_reason")) == {(EnrollmentStatus.EXITED, "renewed")}
    assert list(Delivery.objects.values_list("contract_id", flat=True)) == [kept.pk]


def test_segment_target_takes_only_members_contracts(sender, templates, segment):
    inside, outside = make_contacts(2)
    member(segment, inside)
    mine = contract(inside, date(2026, 6, 1), "A")
    contract(outside, date(2026, 6, 1), "B")
    campaign = playbook(sender, templates[0], segment=segment, all_active=False)
    run(now=T0)
    assert list(Enrollment.objects.filter(campaign=campaign).values_list("contract_id", flat=True)) == [mine.pk]


def test_running_twice_creates_no_duplicate_timelines_deliveries_or_tasks(sender, templates, rep):
    contacts = make_contacts(4, owner=rep)
    for c in contacts:
        contract(c, date(2026, 3, 9))  # −7 is today: the final call is due
    playbook(sender, templates[0])
    run(now=T0)
    Enrollment.objects.update(next_position=3, next_at=T0, status="active")
    run(now=T0)
    assert PlaybookTimeline.objects.count() == 4
    assert CallTask.objects.count() == 4


def test_rescue_links_give_signed_option_urls_and_the_deadline(sender, templates):
    (contact,) = make_contacts(1)
    k = contract(contact, date(2026, 4, 1))
    campaign = playbook(sender, templates[0])
    run(now=T0)
    run(now=tokyo(date(2026, 3, 2)))  # notice (−30) falls on 2026-03-02
    delivery = Delivery.objects.get(contract=k)
    links = rescue.rescue_links(delivery)
    assert links["rescue_deadline"] == "2026-03-31"
    assert [o["label"] for o in links["rescue_options"]] == ["Renew", "Smaller plan", "One more month"]
    timeline = PlaybookTimeline.objects.get(campaign=campaign)
    assert links["rescue_options"][0]["url"].endswith(f"/r/{rescue.rescue_token(timeline)}/?option=1")
    # The link names the timeline by its random token, signed; never by a database id.
    assert rescue.rescue_token(timeline).split(":")[0] == timeline.token and len(timeline.token) >= 20
    assert rescue.timeline_for_token(rescue.rescue_token(timeline)[:-1] + "x") is None


def test_the_sent_lapse_notice_carries_the_options_and_deadline(sender, mailoutbox, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notice = MessageTemplate.objects.create(
        name="Lapse notice", subject="{{ contract.plan }} lapses on {{ contract.lapse_date }}",
        body_text="{% for o in rescue.options %}{{ o.label }}: {{ o.url }}\n{% endfor %}"
                  "Choose by {{ rescue.deadline }}. Lost on lapse: {{ contract.loses }}")
    (contact,) = make_contacts(1)
    k = contract(contact, date(2026, 4, 1))
    campaign = playbook(sender, notice)
    run(now=T0)
    run(now=tokyo(date(2026, 3, 2)))
    delivery = Delivery.objects.get(contract=k)
    Delivery.objects.filter(pk=delivery.pk).update(scheduled_at=T0)
    deliveries_send(ids=[delivery.pk], clock=lambda: tokyo(date(2026, 3, 2), hour=11))

    [message] = mailoutbox
    timeline = PlaybookTimeline.objects.get(campaign=campaign)
    assert message.subject == "Standard lapses on 2026-04-01"
    assert f"Renew: {rescue.rescue_url(timeline)}?option=1" in message.body
    assert "Choose by 2026-03-31. Lost on lapse: 配信履歴と分析レポート" in message.body


def test_rescue_links_for_a_batch_cost_three_queries(sender, templates, django_assert_num_queries):
    contacts = make_contacts(6)
    for i, contact in enumerate(contacts):
        contract(contact, date(2026, 4, 1), external_id=f"B{i}")
    playbook(sender, templates[0])
    run(now=T0)
    run(now=tokyo(date(2026, 3, 2)))
    deliveries = list(Delivery.objects.filter(contract__isnull=False).select_related("step"))
    assert len(deliveries) == 6
    with django_assert_num_queries(3):
        links = rescue.rescue_links_for(deliveries)
    assert {len(links[d.pk]["rescue_options"]) for d in deliveries} == {3}
    assert all(links[d.pk] == rescue.rescue_links(d) for d in deliveries)
