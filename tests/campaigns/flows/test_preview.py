"""The preview on a sequence's or playbook's page: whom it would reach, who is left out of its mails and why.

Small hand-built audiences with one contact (or contract) per exclusion
reason, so every expected count below is worked out by hand; holdouts are
checked against what the engine then does.
"""
from datetime import date, timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from campaigns.flows.preview import PLAYBOOK, SEGMENT, TOUCH, flow_preview
from campaigns.flows.rules import is_held_out
from campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignStep,
    ContactMailPreference,
    Delivery,
    DeliveryStatus,
    Enrollment,
    EnrollmentStatus,
    PlaybookTimeline,
    SendingSettings,
    StepKind,
    Suppression,
)
from campaigns.split import HOLDOUT_SALT, bucket, bucket_expression, bucket_sql, share_threshold
from contacts.models import Contact
from contacts.services import touch_event_record
from segments.models import SegmentMembership

from .conftest import T0, TODAY, contract, email_step, enter, make_contacts, playbook, run, sequence

pytestmark = pytest.mark.django_db

NO_ONE_LEFT_OUT = {"holdout": 0, "unsubscribed": 0, "bounced": 0, "complained": 0, "no_consent": 0,
                   "topic_opt_out": 0, "paused": 0, "frequency_cap": 0}


def _contact(email, consent="opt_in", source=""):
    return Contact.objects.create(email=email, last_name="山田", consent=consent, consent_source=source)


def _sent_twice_this_week(contact, sender, template):
    """Two marketing mails sent in the last days: the default cap (2 in 7 days) is reached."""
    other = Campaign.objects.create(name="Earlier news", kind=CampaignKind.BROADCAST, sender=sender)
    step = CampaignStep.objects.create(campaign=other, position=1, kind=StepKind.EMAIL, template=template)
    for occurrence in (0, 1):
        Delivery.objects.create(step=step, contact=contact, occurrence=occurrence, status=DeliveryStatus.SENT,
                                sent_at=T0 - timedelta(days=2), scheduled_at=T0 - timedelta(days=2),
                                token=f"t{contact.pk}-{occurrence}")


def mixed_audience(sender, template, prefix="m"):
    """12 contacts: 4 reachable (3 opted in, 1 business card), 8 left out, one or two per reason."""
    def email(name):
        return f"{prefix}-{name}@example.jp"

    reachable = [_contact(email(f"ok{i}")) for i in range(3)]
    reachable.append(_contact(email("card"), consent="none", source="名刺交換 2025-04"))
    opted_out = _contact(email("out"), consent="opted_out")
    unsubscribed, bounced, complained = (_contact(email(name)) for name in ("unsub", "bounce", "complaint"))
    for contact, reason in ((unsubscribed, "unsubscribed"), (bounced, "bounced"), (complained, "complained")):
        Suppression.objects.create(email=contact.email, reason=reason)
    no_consent = [_contact(email(f"none{i}"), consent="none") for i in range(2)]
    paused = _contact(email("paused"))
    ContactMailPreference.objects.create(contact=paused, paused_until=T0 + timedelta(days=3))
    capped = _contact(email("capped"))
    _sent_twice_this_week(capped, sender, template)
    return reachable, [opted_out, unsubscribed, bounced, complained, *no_consent, paused, capped]


MIXED_LEFT_OUT = {**NO_ONE_LEFT_OUT, "unsubscribed": 2, "bounced": 1, "complained": 1, "no_consent": 2, "paused": 1,
                  "frequency_cap": 1}


def snapshot(segment, contacts):
    SegmentMembership.objects.bulk_create([SegmentMembership(segment=segment, contact=c, entered_at=T0)
                                           for c in contacts])
    segment.refreshed_at = T0 - timedelta(minutes=5)
    segment.save()


# Sequences entered on joining a segment -------------------------------------------------------------------------


def test_segment_sequence_preview_counts_current_members_and_each_reason(sender, templates, segment):
    reachable, left_out = mixed_audience(sender, templates[0])
    snapshot(segment, [*reachable, *left_out])
    _contact("outsider@example.jp")  # opted in, but not a member
    campaign = sequence(sender, segment, [email_step(templates[0])], start=None)

    preview = flow_preview(campaign, list(campaign.steps.all()), now=T0)

    assert preview.entry == SEGMENT
    assert (preview.audience.members, preview.audience.reach) == (12, 4)
    assert preview.audience.by_reason == MIXED_LEFT_OUT
    assert preview.note == "" and preview.phases == []


def test_segment_sequence_preview_is_two_queries_whatever_the_audience(sender, templates, segment,
                                                                       django_assert_num_queries):
    snapshot(segment, make_contacts(40))
    campaign = sequence(sender, segment, [email_step(templates[0])], start=None)
    steps = list(campaign.steps.all())
    SendingSettings.load()
    with django_assert_num_queries(2):  # the sending settings, the aggregate
        preview = flow_preview(campaign, steps, now=T0)
    assert preview.audience.reach == 40


def test_current_members_do_not_enter_when_it_starts_as_the_preview_says(sender, templates, segment):
    members = make_contacts(3)
    snapshot(segment, members)
    campaign = sequence(sender, segment, [email_step(templates[0])], start=None)
    assert flow_preview(campaign, list(campaign.steps.all()), now=T0).audience.members == 3
    campaign = sequence(sender, segment, [email_step(templates[0])], start=T0, campaign=campaign)
    joiner = make_contacts(1, prefix="joiner")
    enter(segment, joiner, T0 + timedelta(minutes=1))
    run(now=T0 + timedelta(minutes=2))
    assert list(Enrollment.objects.filter(campaign=campaign).values_list("contact_id", flat=True)) == [joiner[0].pk]


# Sequences entered on a touch -----------------------------------------------------------------------------------


def _touch(contact, kind, at, url="", bot=False):
    touch_event_record(contact=contact, kind=kind, occurred_at=at, url=url, flagged_as_bot=bot)


def test_touch_sequence_preview_counts_contacts_with_an_entry_touch_in_the_last_30_days(sender, templates):
    reachable, left_out = mixed_audience(sender, templates[0])
    for contact in [*reachable, *left_out]:
        _touch(contact, "download", T0 - timedelta(days=5), url="https://ex.jp/whitepaper-2026.pdf")
    _touch(reachable[0], "download", T0 - timedelta(days=1), url="https://ex.jp/whitepaper")  # the same contact again
    pricing, viewer, bot, old = (_contact(f"{name}@example.jp") for name in ("pricing", "viewer", "bot", "old"))
    _touch(pricing, "download", T0 - timedelta(days=2), url="https://ex.jp/pricing.pdf")  # another URL
    _touch(viewer, "page_view", T0 - timedelta(days=2), url="https://ex.jp/whitepaper")  # another kind
    _touch(bot, "download", T0 - timedelta(days=2), url="https://ex.jp/whitepaper", bot=True)  # not counted
    _touch(old, "download", T0 - timedelta(days=31), url="https://ex.jp/whitepaper")  # before the window
    campaign = sequence(sender, None, [email_step(templates[0])], start=None, exit_on=[],
                        trigger={"type": "touch", "kind": "download", "url_contains": "/whitepaper"})

    preview = flow_preview(campaign, list(campaign.steps.all()), now=T0)

    assert preview.entry == TOUCH
    assert (preview.audience.members, preview.audience.reach) == (12, 4)
    assert preview.audience.by_reason == MIXED_LEFT_OUT


def test_touch_preview_counts_what_the_engine_would_enrol(sender, templates):
    """The preview reads the engine's own entry rule (kind, URL, bots): the same touches after a start enrol."""
    a, b, c = (_contact(f"{name}@example.jp") for name in "abc")
    trigger = {"type": "touch", "kind": "form_submit", "url_contains": "/contact"}
    campaign = sequence(sender, None, [email_step(templates[0])], start=None, exit_on=[], trigger=trigger)
    for contact, at in ((a, T0 - timedelta(days=3)), (b, T0 + timedelta(days=1))):
        _touch(contact, "form_submit", at, url="https://ex.jp/contact")
    _touch(c, "form_submit", T0 + timedelta(days=1), url="https://ex.jp/contact", bot=True)
    assert flow_preview(campaign, list(campaign.steps.all()), now=T0 + timedelta(days=2)).audience.members == 2
    sequence(sender, None, [email_step(templates[0])], start=T0 - timedelta(days=4), campaign=campaign, exit_on=[],
             trigger=trigger)
    run(now=T0 + timedelta(days=2))
    assert sorted(Enrollment.objects.filter(campaign=campaign).values_list("contact_id", flat=True)) == [a.pk, b.pk]


# Playbooks --------------------------------------------------------------------------------------------------------


def _days(n):
    return TODAY + timedelta(days=n)


@pytest.fixture
def contracts(sender, templates):
    """Phases at −60, −30, −7 (call), +7 days; today is 2026-03-02, the window the next 30 days (to 2026-03-31)."""
    a, b, c, d, e, f, g, h = (_contact(f"{name}@example.jp") for name in "abcdefgh")
    Contact.objects.filter(pk=b.pk).update(consent="opted_out")
    Contact.objects.filter(pk=c.pk).update(consent="none")
    Suppression.objects.create(email=h.email, reason="bounced")
    return {
        "A": contract(a, _days(10), "A"),    # −7 on +3 and +7 on +17 in the window; −60, −30 past
        "A2": contract(a, _days(45), "A2"),  # same contact: −30 on +15
        "B": contract(b, _days(45), "B"),    # −30 on +15 (opted out)
        "C": contract(c, _days(60), "C"),    # −60 today (no consent)
        "D": contract(d, _days(90), "D"),    # −60 on +30: just outside the window
        "E": contract(e, _days(-3), "E"),    # lapsed 3 days ago: +7 on +4
        "F": contract(f, _days(-8), "F"),    # +7 was yesterday: no phase ahead, no timeline
        "G": contract(g, _days(10), "G", status="renewed"),  # not active
        "H": contract(h, _days(200), "H"),   # a timeline, but no phase in the next 30 days (bounced)
    }


def test_playbook_preview_counts_contracts_contacts_reasons_and_phases_due(sender, templates, contracts):
    campaign = playbook(sender, templates[0], start=None)
    steps = list(campaign.steps.order_by("position"))

    preview = flow_preview(campaign, steps, now=T0)

    assert preview.entry == PLAYBOOK
    assert (preview.audience.members, preview.contacts, preview.audience.reach) == (7, 6, 4)  # A A2 B C D E H
    assert preview.audience.by_reason == {**NO_ONE_LEFT_OUT, "unsubscribed": 1, "bounced": 1, "no_consent": 1}
    assert [(due.step.phase, due.timelines) for due in preview.phases] == [
        ("pre_notice", 1), ("notice", 2), ("final", 1), ("after_lapse", 2)]


def test_playbook_preview_matches_the_timelines_a_start_creates(sender, templates, contracts):
    campaign = playbook(sender, templates[0], start=None)
    preview = flow_preview(campaign, list(campaign.steps.order_by("position")), now=T0)
    playbook(sender, templates[0], campaign=campaign, start=T0)
    run(now=T0)
    timelines = PlaybookTimeline.objects.filter(campaign=campaign)
    assert timelines.count() == preview.audience.members
    assert sorted(timelines.values_list("contract__external_id", flat=True)) == ["A", "A2", "B", "C", "D", "E", "H"]


def test_playbook_preview_is_four_queries(sender, templates, contracts, django_assert_num_queries):
    campaign = Campaign.objects.get(pk=playbook(sender, templates[0], start=None).pk)
    steps = list(campaign.steps.order_by("position"))
    SendingSettings.load()
    with django_assert_num_queries(4):  # settings, the flow settings, the reasons, the phases
        flow_preview(campaign, steps, now=T0)


# Holdout: one hash for broadcasts and flows, in Python and in SQL ------------------------------------------------


def test_python_and_sql_buckets_agree_for_the_same_contacts(db):
    contacts = make_contacts(300)
    ids = [c.pk for c in contacts]
    by_orm = dict(Contact.objects.filter(pk__in=ids).annotate(b=bucket_expression(HOLDOUT_SALT, 77, "pk"))
                  .values_list("pk", "b"))
    sql = f"SELECT c.id, {bucket_sql('key', 'c.id')} FROM contacts_contact c WHERE c.id = ANY(%(ids)s)"  # noqa: S608 (our own SQL, values as parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"key": f"{HOLDOUT_SALT}:77:", "ids": ids})
        by_sql = dict(cursor.fetchall())
    by_python = {pk: bucket(HOLDOUT_SALT, 77, pk) for pk in ids}
    assert by_orm == by_sql == by_python
    threshold = share_threshold(25)
    held_sql = set(Contact.objects.filter(pk__in=ids).annotate(b=bucket_expression(HOLDOUT_SALT, 77, "pk"))
                   .filter(b__lt=threshold).values_list("pk", flat=True))
    assert held_sql == {pk for pk in ids if by_python[pk] < threshold}
    assert 45 <= len(held_sql) <= 105  # 25 % of 300, give or take


def test_a_flow_holds_out_with_the_broadcast_hash():
    campaign = Campaign(pk=77, holdout_percent=25)
    assert [is_held_out(campaign, pk) for pk in range(1, 400)] == [
        bucket(HOLDOUT_SALT, 77, pk) < share_threshold(25) for pk in range(1, 400)]
    assert not any(is_held_out(Campaign(pk=77, holdout_percent=0), pk) for pk in range(1, 400))


def test_sequence_preview_holdout_is_who_the_sequence_then_holds_out(sender, templates, segment):
    contacts = make_contacts(200)
    snapshot(segment, contacts)
    campaign = sequence(sender, segment, [email_step(templates[0])], start=None, holdout_percent=25)
    preview = flow_preview(campaign, list(campaign.steps.all()), now=T0)
    expected = {c.pk for c in contacts if bucket(HOLDOUT_SALT, campaign.pk, c.pk) < share_threshold(25)}
    assert preview.audience.by_reason["holdout"] == len(expected) and 20 <= len(expected) <= 80
    assert preview.audience.reach == 200 - len(expected)

    sequence(sender, segment, [email_step(templates[0])], start=T0, campaign=campaign, holdout_percent=25)
    enter(segment, contacts, T0 + timedelta(minutes=1))  # had they all just joined
    run(now=T0 + timedelta(minutes=2))
    held = Enrollment.objects.filter(campaign=campaign, status=EnrollmentStatus.EXITED, exit_reason="holdout")
    assert set(held.values_list("contact_id", flat=True)) == expected
    assert Delivery.objects.filter(step__campaign=campaign).count() == preview.audience.reach


def test_playbook_preview_holdout_and_phases_match_the_engine(sender, templates):
    owners = make_contacts(120)
    for contact in owners:
        contract(contact, date(2026, 3, 12), external_id=f"K{contact.pk}")  # −7 (a call) on 2026-03-05
    campaign = playbook(sender, templates[0], start=None, holdout_percent=20)
    preview = flow_preview(campaign, list(campaign.steps.order_by("position")), now=T0)
    held = preview.audience.by_reason["holdout"]
    assert 10 <= held <= 40
    assert [due.timelines for due in preview.phases] == [0, 0, 120 - held, 120 - held]

    expected = {c.pk for c in owners if bucket(HOLDOUT_SALT, campaign.pk, c.pk) < share_threshold(20)}
    assert held == len(expected)

    playbook(sender, templates[0], campaign=campaign, start=T0, holdout_percent=20)
    run(now=T0)
    enrollments = Enrollment.objects.filter(campaign=campaign)
    assert set(enrollments.filter(status=EnrollmentStatus.EXITED, exit_reason="holdout")
               .values_list("contact_id", flat=True)) == expected
    assert enrollments.filter(status=EnrollmentStatus.ACTIVE, next_position=3).count() == 120 - held


# The page ----------------------------------------------------------------------------------------------------------


def _page(client, campaign):
    return client.get(reverse("campaigns:flow_detail", args=[campaign.pk])).content.decode()


def test_draft_segment_sequence_page_says_current_members_do_not_enter(persona_client, marketer, sender, templates,
                                                                       segment, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: T0)
    reachable, left_out = mixed_audience(sender, templates[0])
    snapshot(segment, [*reachable, *left_out])
    campaign = sequence(sender, segment, [email_step(templates[0])], start=None)
    page = _page(persona_client(marketer), campaign)
    assert 'id="preview"' in page and "If you start it now" in page
    assert ("Nobody enters when you start it: the 12 contacts in “Lost deals” now are the starting point. Only "
            "contacts who join the segment after the start enter the sequence.") in page
    assert '<span class="fs-3 fw-semibold" id="preview-reach">4</span>' in page
    for label, count in (("Unsubscribed", 2), ("Address bounced", 1), ("Complained", 1), ("No consent on record", 2),
                         ("Paused by the recipient", 1), ("Frequency cap reached", 1)):
        assert f'<tr><td>{label}</td><td class="text-end">{count}</td></tr>' in page
    assert "Held out" not in page  # no holdout: no row


def test_running_sequence_page_keeps_the_audience_and_running_playbook_drops_it(persona_client, marketer, sender,
                                                                                templates, segment, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: T0 + timedelta(hours=1))
    snapshot(segment, make_contacts(3))
    client = persona_client(marketer)
    running = sequence(sender, segment, [email_step(templates[0])])
    page = _page(client, running)
    assert "Who enters from now on" in page and "The segment has 3 contacts now." in page
    rescue = playbook(sender, templates[0])
    assert 'id="preview"' not in _page(client, rescue)


def test_draft_playbook_page_shows_the_phases_due_and_keeps_the_start_problems(persona_client, marketer, sender,
                                                                              templates, contracts, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: T0)
    sender.postal_address = ""
    sender.save()
    campaign = playbook(sender, templates[0], start=None, holdout_percent=0)
    page = _page(persona_client(marketer), campaign)
    assert "active contracts (6 contacts) still have a phase ahead" in page
    assert '<span class="fs-3 fw-semibold" id="preview-members">7</span>' in page
    assert 'id="preview-phases"' in page and "Falling due in the next 30 days (the control group not counted)" in page
    assert "<td>Notice</td>" in page and "<td>-30 days</td>" in page
    assert 'id="problems"' in page and "The sender profile lacks" in page
    assert "Call tasks still reach the rep for contracts left out of the mails" in page


def test_touch_sequence_page_in_quiet_hours_says_when_mail_would_leave(persona_client, marketer, sender, templates,
                                                                       monkeypatch):
    saturday = T0 + timedelta(days=5)  # Saturday 2026-03-07 10:00 Tokyo: weekends are quiet
    monkeypatch.setattr(timezone, "now", lambda: saturday)
    _touch(_contact("a@example.jp"), "webinar", saturday - timedelta(days=2))
    campaign = sequence(sender, None, [email_step(templates[0])], start=None, exit_on=[],
                        trigger={"type": "touch", "kind": "webinar", "url_contains": ""})
    page = _page(persona_client(marketer), campaign)
    assert "contacts had such a touch in the last 30 days" in page
    assert "Quiet hours now: a mail that falls due now would leave at 2026-03-09 08:00." in page
