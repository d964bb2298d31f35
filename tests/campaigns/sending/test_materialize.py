"""Starting a broadcast writes one row per member, once; holdout and variants are reproducible; preflight."""
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from campaigns.models import CampaignStatus, Delivery, DeliveryStatus, MessageTemplate, SkipReason, Suppression
from campaigns.sending.materialize import HOLDOUT_SALT, VARIANT_SALT, bucket, campaign_start, share_threshold
from campaigns.sending.preflight import campaign_preflight
from contacts.models import Contact

from .conftest import WORKDAY, make_broadcast, make_contacts, make_segment


@pytest.fixture
def audience(db):
    return make_contacts(30)


def test_start_writes_one_queued_row_per_member_and_a_second_start_writes_nothing(sender, template, audience):
    campaign = make_broadcast(sender=sender, template=template, segment=make_segment(audience))
    assert campaign_start(campaign, now=WORKDAY) == 30
    assert campaign_start(campaign, now=WORKDAY + timedelta(minutes=1)) == 0
    assert campaign.status == CampaignStatus.RUNNING and campaign.started_at == WORKDAY
    rows = Delivery.objects.filter(step__campaign=campaign)
    assert rows.count() == 30
    assert set(rows.values_list("status", "scheduled_at", "variant", "attempts")) == {
        (DeliveryStatus.QUEUED, WORKDAY, "A", 0)}
    tokens = list(rows.values_list("token", flat=True))
    assert len(set(tokens)) == 30 and all(len(token) == 32 for token in tokens)
    assert sorted(rows.values_list("contact_id", flat=True)) == sorted(c.pk for c in audience)


def test_start_is_refused_while_the_sender_lacks_the_legal_details(sender, template, audience):
    sender.postal_address = ""
    sender.save()
    campaign = make_broadcast(sender=sender, template=template, segment=make_segment(audience))
    with pytest.raises(ValidationError) as refused:
        campaign_start(campaign, now=WORKDAY)
    assert any("postal address" in message for message in refused.value.messages)
    campaign.refresh_from_db()
    assert (campaign.status, Delivery.objects.count()) == (CampaignStatus.DRAFT, 0)


def test_a_send_time_in_quiet_hours_moves_to_the_next_allowed_slot(sender, template, audience):
    friday_night = WORKDAY + timedelta(days=3, hours=12)  # Friday 2026-06-05 22:00 in Tokyo
    campaign = make_broadcast(sender=sender, template=template, segment=make_segment(audience),
                              scheduled_at=friday_night)
    campaign_start(campaign, now=WORKDAY)
    monday_eight = WORKDAY + timedelta(days=6, hours=-2)  # 2026-06-08 08:00 in Tokyo
    assert set(Delivery.objects.values_list("scheduled_at", flat=True)) == {monday_eight}


def test_holdout_is_reproducible_recorded_and_near_the_share(sender, template):
    contacts = make_contacts(2000)
    segment = make_segment(contacts)
    campaign = make_broadcast(sender=sender, template=template, segment=segment, holdout_percent=10)
    campaign_start(campaign, now=WORKDAY)
    held = set(Delivery.objects.filter(status=DeliveryStatus.SUPPRESSED, reason=SkipReason.HOLDOUT)
               .values_list("contact_id", flat=True))
    assert 160 <= len(held) <= 240  # 10% ± 2 points of 2,000
    # The same ids again give the same split, and the SQL agrees with the Python twin of the hash.
    threshold = share_threshold(10)
    assert held == {c.pk for c in contacts if bucket(HOLDOUT_SALT, campaign.pk, c.pk) < threshold}
    Delivery.objects.all().delete()
    campaign.status = CampaignStatus.DRAFT
    campaign.save()
    campaign_start(campaign, now=WORKDAY)
    assert set(Delivery.objects.filter(reason=SkipReason.HOLDOUT).values_list("contact_id", flat=True)) == held


def test_variant_b_share_and_holdout_are_independent(sender, template):
    contacts = make_contacts(2000)
    template_b = MessageTemplate.objects.create(name="B", language="en", subject="B", body_text="B")
    campaign = make_broadcast(sender=sender, template=template, template_b=template_b,
                              segment=make_segment(contacts), holdout_percent=20, variant_b_percent=50)
    campaign_start(campaign, now=WORKDAY)
    b = set(Delivery.objects.filter(variant="B").values_list("contact_id", flat=True))
    assert 900 <= len(b) <= 1100
    assert b == {c.pk for c in contacts if bucket(VARIANT_SALT, campaign.pk, c.pk) < share_threshold(50)}
    held = Delivery.objects.filter(reason=SkipReason.HOLDOUT)
    assert 0.35 <= held.filter(variant="B").count() / held.count() <= 0.65


def test_preflight_counts_reach_and_each_reason_once(sender, template):
    opted_in = make_contacts(10)
    no_consent = make_contacts(3, prefix="none", consent="none")
    opted_out = make_contacts(2, prefix="out", consent="opted_out")
    card = Contact.objects.create(email="card@example.com", consent="none", consent_source="名刺交換 2025-04")
    Suppression.objects.create(email=opted_in[0].email, reason="bounced")
    Suppression.objects.create(email=opted_in[1].email, reason="unsubscribed")
    campaign = make_broadcast(sender=sender, template=template,
                              segment=make_segment([*opted_in, *no_consent, *opted_out, card]))
    preflight = campaign_preflight(campaign, now=WORKDAY)
    assert (preflight.members, preflight.reach) == (16, 9)  # 8 opted in left + the business card
    assert preflight.by_reason == {"holdout": 0, "unsubscribed": 3, "bounced": 1, "complained": 0,
                                   "no_consent": 3, "topic_opt_out": 0, "paused": 0, "frequency_cap": 0}
    assert preflight.waits_until is None and preflight.problems == []


def test_preflight_counts_holdout_as_the_start_will(sender, template):
    contacts = make_contacts(500)
    campaign = make_broadcast(sender=sender, template=template, segment=make_segment(contacts), holdout_percent=15)
    preflight = campaign_preflight(campaign, now=WORKDAY)
    campaign_start(campaign, now=WORKDAY)
    assert preflight.by_reason["holdout"] == Delivery.objects.filter(reason=SkipReason.HOLDOUT).count()
    assert preflight.reach == Delivery.objects.filter(status=DeliveryStatus.QUEUED).count()


def test_preflight_says_when_quiet_hours_make_it_wait(sender, template, audience):
    campaign = make_broadcast(sender=sender, template=template, segment=make_segment(audience))
    saturday = WORKDAY + timedelta(days=4)
    preflight = campaign_preflight(campaign, now=saturday)
    assert preflight.waits_until == WORKDAY + timedelta(days=6, hours=-2)  # Monday 08:00 Tokyo
    assert preflight.reach == 30
