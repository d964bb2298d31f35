"""The builder pages: a marketer saves a sequence and a playbook and starts them; reps are kept out."""
import pytest
from django.urls import reverse

from campaigns.models import Campaign, CampaignStatus, FlowSettings, RescueOption

pytestmark = pytest.mark.django_db


def _management(prefix, total):
    return {f"{prefix}-TOTAL_FORMS": total, f"{prefix}-INITIAL_FORMS": 0, f"{prefix}-MIN_NUM_FORMS": 0,
            f"{prefix}-MAX_NUM_FORMS": 1000}


def test_marketer_builds_and_starts_a_sequence(persona_client, marketer, sender, templates, segment):
    client = persona_client(marketer)
    data = {"name": "Pricing follow-up", "sender": sender.pk, "trigger_type": "touch", "segment": "",
            "touch_kind": "page_view", "url_contains": "/pricing", "exit_on": ["reply", "meeting"],
            "holdout_percent": 10, "variant_b_percent": 50, **_management("steps", 3),
            "steps-0-kind": "email", "steps-0-template": templates[0].pk, "steps-0-wait_days": 0,
            "steps-1-kind": "call_task", "steps-1-purpose": "Ask what they compared", "steps-1-wait_days": 2,
            "steps-2-kind": ""}
    response = client.post(reverse("campaigns:sequence_new"), data)
    campaign = Campaign.objects.get(name="Pricing follow-up")
    assert response["Location"] == reverse("campaigns:flow_detail", args=[campaign.pk])
    assert campaign.trigger == {"type": "touch", "kind": "page_view", "url_contains": "/pricing"}
    assert (campaign.exit_on, campaign.allow_reentry, campaign.holdout_percent) == (["reply", "meeting"], False, 10)
    assert list(campaign.steps.values_list("position", "kind", "wait_days")) == [(1, "email", 0), (2, "call_task", 2)]
    assert client.get(reverse("campaigns:flow_detail", args=[campaign.pk])).status_code == 200

    client.post(reverse("campaigns:flow_start", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RUNNING and campaign.started_at is not None


def test_sequence_without_steps_or_segment_is_refused(persona_client, marketer, sender):
    data = {"name": "Empty", "sender": sender.pk, "trigger_type": "segment_enter", "segment": "",
            "holdout_percent": 0, "variant_b_percent": 50, **_management("steps", 1), "steps-0-kind": ""}
    response = persona_client(marketer).post(reverse("campaigns:sequence_new"), data)
    assert response.status_code == 200
    assert Campaign.objects.count() == 0


def test_marketer_builds_and_starts_a_playbook(persona_client, marketer, sender, templates):
    client = persona_client(marketer)
    phases = {}
    for i, (phase, offset, kind) in enumerate([("pre_notice", -60, "email"), ("notice", -30, "email"),
                                               ("final", -7, "call_task"), ("after_lapse", 7, "email")]):
        phases.update({f"phases-{i}-enabled": "on" if phase != "after_lapse" else "", f"phases-{i}-phase": phase,
                       f"phases-{i}-offset_days": offset, f"phases-{i}-purpose": phase,
                       f"phases-{i}-owner_role": "marketer", f"phases-{i}-kind": kind,
                       f"phases-{i}-template": templates[0].pk if kind == "email" else ""})
    data = {"name": "Annual renewals", "sender": sender.pk, "segment": "", "all_active_contracts": "on",
            "lapse_text": "All reports", "deadline_days": 3, "deadline_rule": "before_lapse", "holdout_percent": 0,
            **_management("phases", 4), **phases, **_management("options", 3),
            "options-0-kind": "renew", "options-0-label": "Renew",
            "options-1-kind": "extension", "options-1-label": "One more month",
            "options-2-kind": "reduced", "options-2-label": ""}
    response = client.post(reverse("campaigns:playbook_new"), data)
    campaign = Campaign.objects.get(name="Annual renewals")
    assert response.status_code == 302
    assert list(campaign.steps.values_list("phase", "offset_days", "kind")) == [
        ("pre_notice", -60, "email"), ("notice", -30, "email"), ("final", -7, "call_task")]
    assert list(RescueOption.objects.filter(campaign=campaign).values_list("label", flat=True)) == [
        "Renew", "One more month"]
    flow = FlowSettings.objects.get(campaign=campaign)
    assert (flow.all_active_contracts, flow.deadline_days, flow.lapse_text) == (True, 3, "All reports")
    client.post(reverse("campaigns:flow_start", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RUNNING


def test_running_flow_cannot_be_edited(persona_client, marketer, sender, templates, segment):
    from .conftest import email_step, sequence

    campaign = sequence(sender, segment, [email_step(templates[0])])
    response = persona_client(marketer).post(reverse("campaigns:sequence_edit", args=[campaign.pk]), {"name": "x"})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.name == "Drip"


def test_rep_cannot_open_the_builders(persona_client, rep):
    client = persona_client(rep)
    assert client.get(reverse("campaigns:sequence_new")).status_code == 403
    assert client.get(reverse("campaigns:playbook_new")).status_code == 403


def test_builder_pages_render(persona_client, marketer, sender, templates, segment):
    client = persona_client(marketer)
    assert client.get(reverse("campaigns:sequence_new")).status_code == 200
    assert client.get(reverse("campaigns:playbook_new")).status_code == 200
