"""Campaign pages: a marketer creates a broadcast draft, changes it, pauses and cancels; reps are kept out."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from campaigns import services
from campaigns.models import Campaign, CampaignStatus, CampaignStep, MessageTemplate, SenderProfile
from segments.models import Segment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client):
    """Messages are asserted in English: in this thread and in the pages the client requests."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def parts(db):
    segment = Segment.objects.create(name="Lost deals", definition={
        "op": "and", "items": [{"type": "attribute", "field": "status", "op": "equals", "value": "lost"}]})
    sender = SenderProfile.objects.create(name="Main", from_name="Rekindle 営業部", from_email="sales@example.co.jp",
                                          postal_address="東京都千代田区1-1", inquiry_contact="03-0000-0000")
    a = MessageTemplate.objects.create(name="Check-in A", subject="Hello", body_text="Hi {{ contact.first_name }}")
    b = MessageTemplate.objects.create(name="Check-in B", subject="Hi", body_text="Hello {{ contact.first_name }}")
    return segment, sender, a, b


def form_data(parts, **overrides):
    segment, sender, a, _b = parts
    data = {"name": "Spring check-in", "segment": segment.pk, "sender": sender.pk, "template": a.pk,
            "template_b": "", "variant_b_percent": 50, "holdout_percent": 10, "scheduled_at": ""}
    data.update(overrides)
    return data


def test_marketer_creates_a_broadcast_draft(client, marketer, parts):
    client.force_login(marketer)
    later = timezone.localtime() + timedelta(days=2)
    response = client.post(reverse("campaigns:broadcast_new"),
                           form_data(parts, scheduled_at=later.strftime("%Y-%m-%dT%H:%M"), template_b=parts[3].pk,
                                     variant_b_percent=30))
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("campaigns:detail", args=[campaign.pk])
    assert (campaign.status, campaign.kind, campaign.holdout_percent, campaign.variant_b_percent) == (
        CampaignStatus.DRAFT, "broadcast", 10, 30)
    assert campaign.scheduled_at.replace(second=0, microsecond=0) == later.replace(second=0, microsecond=0)
    step = CampaignStep.objects.get(campaign=campaign)
    assert (step.position, step.kind, step.template, step.template_b) == (1, "email", parts[2], parts[3])
    assert campaign.created_by == marketer


@pytest.mark.parametrize("overrides, field, message", [
    ({"scheduled_at": "2001-01-01T09:00"}, "scheduled_at", "That time has passed."),
    ({"holdout_percent": 80}, "holdout_percent", "Ensure this value is less than or equal to 50."),
    ({"template_b": "same"}, "template_b", "Variant B must be a different template (or none)."),
    ({"segment": ""}, "segment", "This field is required."),
])
def test_bad_input_is_explained_and_saves_nothing(client, marketer, parts, overrides, field, message):
    client.force_login(marketer)
    if overrides.get("template_b") == "same":
        overrides = {"template_b": parts[2].pk}
    response = client.post(reverse("campaigns:broadcast_new"), form_data(parts, **overrides))
    assert response.status_code == 200
    assert any(error.startswith(message) for error in response.context["form"].errors[field])
    assert not Campaign.objects.exists()


def test_only_a_draft_can_be_edited_and_moves_follow_the_status(client, marketer, parts):
    segment, sender, a, _b = parts
    campaign = services.broadcast_save(name="X", segment=segment, sender=sender, template=a, template_b=None,
                                       variant_b_percent=50, holdout_percent=0, scheduled_at=None, user=marketer)
    client.force_login(marketer)
    assert client.post(reverse("campaigns:broadcast_edit", args=[campaign.pk]),
                       form_data(parts, name="Renamed")).status_code == 302
    campaign.refresh_from_db()
    assert campaign.name == "Renamed"
    # A draft cannot be paused; it can be cancelled, and then nothing else.
    client.post(reverse("campaigns:pause", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT
    client.post(reverse("campaigns:cancel", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED
    response = client.get(reverse("campaigns:broadcast_edit", args=[campaign.pk]))
    assert response.status_code == 302
    assert client.post(reverse("campaigns:broadcast_edit", args=[campaign.pk]), form_data(parts, name="Again"))
    campaign.refresh_from_db()
    assert campaign.name == "Renamed"


def test_running_campaign_pauses_and_resumes(client, marketer, parts):
    segment, sender, a, _b = parts
    campaign = services.broadcast_save(name="X", segment=segment, sender=sender, template=a, template_b=None,
                                       variant_b_percent=50, holdout_percent=0, scheduled_at=None)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.RUNNING)
    client.force_login(marketer)
    client.post(reverse("campaigns:pause", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PAUSED
    client.post(reverse("campaigns:resume", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RUNNING


def test_list_shows_delivery_counts_in_one_query(client, marketer, parts, django_assert_max_num_queries):
    segment, sender, a, _b = parts
    for n in range(3):
        services.broadcast_save(name=f"C{n}", segment=segment, sender=sender, template=a, template_b=None,
                                variant_b_percent=50, holdout_percent=0, scheduled_at=None)
    client.force_login(marketer)
    client.get(reverse("campaigns:list"))
    with django_assert_max_num_queries(5):
        response = client.get(reverse("campaigns:list"))
    assert [c.name for c in response.context["campaigns"]] == ["C2", "C1", "C0"]
    assert response.context["campaigns"][0].sent == 0
