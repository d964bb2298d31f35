"""Recurring newsletters: start, beat passes writing one occurrence per run, pauses, the pages."""
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, CampaignKind, CampaignStatus, CampaignStep, Delivery, DeliveryStatus
from campaigns.recurring import _run_occurrence, recurring_run_due, recurring_start
from campaigns.sending.materialize import campaign_start
from campaigns.services import campaign_move
from contacts.models import Contact

from ..sending.conftest import make_contacts

TUESDAY = datetime(2026, 6, 2, 1, 0, tzinfo=UTC)  # Tue 2026-06-02 10:00 Tokyo
MONDAY_TEN = datetime(2026, 6, 8, 1, 0, tzinfo=UTC)  # Mon 2026-06-08 10:00 Tokyo
NEXT_MONDAY_TEN = MONDAY_TEN + timedelta(days=7)


def rows(campaign, occurrence=None):
    found = Delivery.objects.filter(step__campaign=campaign)
    return found if occurrence is None else found.filter(occurrence=occurrence)


def test_start_sets_running_and_the_next_monday_without_writing_rows(newsletter):
    make_contacts(3)
    recurring_start(newsletter, now=TUESDAY)
    newsletter.refresh_from_db()
    assert (newsletter.status, newsletter.next_run_at, newsletter.started_at) == (
        CampaignStatus.RUNNING, MONDAY_TEN, TUESDAY)
    assert rows(newsletter).count() == 0


def test_start_is_refused_without_the_senders_legal_details_and_nothing_changes(newsletter, sender):
    sender.postal_address = ""
    sender.save()
    with pytest.raises(ValidationError) as refused:
        recurring_start(newsletter, now=TUESDAY)
    assert any("postal address" in message for message in refused.value.messages)
    newsletter.refresh_from_db()
    assert (newsletter.status, newsletter.next_run_at) == (CampaignStatus.DRAFT, None)


def test_the_broadcast_start_refuses_a_recurring_campaign(newsletter):
    make_contacts(2)
    with pytest.raises(ValidationError):
        campaign_start(newsletter, now=TUESDAY)
    assert (Campaign.objects.get(pk=newsletter.pk).status, Delivery.objects.count()) == (CampaignStatus.DRAFT, 0)


def test_nothing_is_written_before_the_run_time(newsletter):
    make_contacts(3)
    recurring_start(newsletter, now=TUESDAY)
    assert recurring_run_due(now=MONDAY_TEN - timedelta(seconds=1)) == {}
    assert rows(newsletter).count() == 0


def test_a_pass_at_the_run_time_writes_occurrence_one_once(newsletter):
    audience = make_contacts(5)
    make_contacts(2, prefix="out", consent="opted_out")
    recurring_start(newsletter, now=TUESDAY)
    assert recurring_run_due(now=MONDAY_TEN + timedelta(seconds=20)) == {newsletter.pk: 5}
    assert recurring_run_due(now=MONDAY_TEN + timedelta(seconds=40)) == {}
    assert sorted(rows(newsletter, 1).values_list("contact_id", flat=True)) == [c.pk for c in audience]
    assert set(rows(newsletter).values_list("occurrence", "status")) == {(1, DeliveryStatus.QUEUED)}
    assert rows(newsletter).count() == 5
    newsletter.refresh_from_db()
    assert newsletter.next_run_at == NEXT_MONDAY_TEN


def test_a_second_pass_holding_a_stale_next_run_writes_nothing(newsletter):
    """Two overlapping beats that both read the campaign: only the one that moves next_run_at writes."""
    make_contacts(4)
    recurring_start(newsletter, now=TUESDAY)
    stale = Campaign.objects.get(pk=newsletter.pk)
    assert recurring_run_due(now=MONDAY_TEN) == {newsletter.pk: 4}
    assert _run_occurrence(stale, now=MONDAY_TEN) == 0
    assert rows(newsletter).count() == 4 and set(rows(newsletter).values_list("occurrence", flat=True)) == {1}


def test_the_next_run_writes_occurrence_two_for_the_current_members(newsletter):
    first = make_contacts(3)
    recurring_start(newsletter, now=TUESDAY)
    recurring_run_due(now=MONDAY_TEN)
    Contact.objects.filter(pk=first[0].pk).update(consent="opted_out", consent_source="")
    joined = make_contacts(2, prefix="new")
    assert recurring_run_due(now=NEXT_MONDAY_TEN) == {newsletter.pk: 4}
    assert sorted(rows(newsletter, 2).values_list("contact_id", flat=True)) == sorted(
        [first[1].pk, first[2].pk, joined[0].pk, joined[1].pk])
    assert rows(newsletter, 1).count() == 3
    assert Campaign.objects.get(pk=newsletter.pk).next_run_at == NEXT_MONDAY_TEN + timedelta(days=7)


def test_a_late_pass_runs_once_and_skips_to_the_next_future_time(newsletter):
    make_contacts(2)
    recurring_start(newsletter, now=TUESDAY)
    three_weeks_late = MONDAY_TEN + timedelta(days=15)  # Tuesday two weeks after the first run
    assert recurring_run_due(now=three_weeks_late) == {newsletter.pk: 2}
    assert recurring_run_due(now=three_weeks_late) == {}
    assert Campaign.objects.get(pk=newsletter.pk).next_run_at == MONDAY_TEN + timedelta(days=21)


def test_a_paused_campaign_writes_nothing_and_its_missed_run_is_skipped(newsletter):
    make_contacts(3)
    recurring_start(newsletter, now=TUESDAY)
    campaign_move(campaign=newsletter, action="pause")
    assert recurring_run_due(now=MONDAY_TEN + timedelta(minutes=1)) == {}
    assert rows(newsletter).count() == 0
    assert Campaign.objects.get(pk=newsletter.pk).next_run_at == NEXT_MONDAY_TEN
    campaign_move(campaign=newsletter, action="resume")
    assert recurring_run_due(now=MONDAY_TEN + timedelta(hours=2)) == {}  # resumed: waits for the next Monday
    assert recurring_run_due(now=NEXT_MONDAY_TEN) == {newsletter.pk: 3}
    assert set(rows(newsletter).values_list("occurrence", flat=True)) == {1}


def test_cancelled_and_draft_campaigns_never_run(newsletter, sender, template, segment):
    from campaigns.recurring import recurring_save

    make_contacts(2)
    draft = recurring_save(name="Draft", segment=segment, sender=sender, template=template, template_b=None,
                           variant_b_percent=50, holdout_percent=0, schedule="* * * * *")
    recurring_start(newsletter, now=TUESDAY)
    campaign_move(campaign=newsletter, action="cancel")
    assert recurring_run_due(now=NEXT_MONDAY_TEN) == {}
    assert Delivery.objects.filter(step__campaign__in=[newsletter, draft]).count() == 0


def test_holdout_keeps_the_same_contacts_out_of_every_run(newsletter):
    make_contacts(200)
    Campaign.objects.filter(pk=newsletter.pk).update(holdout_percent=20)
    newsletter.refresh_from_db()
    recurring_start(newsletter, now=TUESDAY)
    recurring_run_due(now=MONDAY_TEN)
    recurring_run_due(now=NEXT_MONDAY_TEN)
    held = [set(rows(newsletter, n).filter(reason="holdout").values_list("contact_id", flat=True)) for n in (1, 2)]
    assert held[0] == held[1] and 20 <= len(held[0]) <= 60


# Pages ---------------------------------------------------------------------------------------------------------

FORM = {"name": "Weekly news", "variant_b_percent": "50", "holdout_percent": "0"}


def _post(client, segment, sender, template, **extra):
    return client.post(reverse("campaigns:recurring_new"), {
        **FORM, "segment": segment.pk, "sender": sender.pk, "template": template.pk, **extra})


def test_form_with_a_bad_cron_shows_which_field_and_saves_nothing(persona_client, marketer, segment, sender, template):
    client = persona_client(marketer)
    response = _post(client, segment, sender, template, preset="custom", schedule="0 25 * * 1")
    assert response.status_code == 200
    assert "The hour field “25” is out of range: it takes 0–23." in response.content.decode()
    assert Campaign.objects.filter(kind=CampaignKind.RECURRING).count() == 0


def test_form_custom_without_an_expression_is_refused(persona_client, marketer, segment, sender, template):
    response = _post(persona_client(marketer), segment, sender, template, preset="custom", schedule=" ")
    assert "Enter a cron expression" in response.content.decode()
    assert Campaign.objects.count() == 0


def test_form_preset_saves_a_draft_with_one_email_step(persona_client, marketer, segment, sender, template):
    response = _post(persona_client(marketer), segment, sender, template, preset="0 10 1 * *", schedule="junk")
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("campaigns:recurring_detail",
                                                                          args=[campaign.pk])
    assert (campaign.kind, campaign.status, campaign.schedule, campaign.next_run_at, campaign.created_by) == (
        CampaignKind.RECURRING, CampaignStatus.DRAFT, "0 10 1 * *", None, marketer)
    assert list(CampaignStep.objects.filter(campaign=campaign).values_list("position", "template_id")) == [
        (1, template.pk)]


def test_form_custom_expression_is_tidied_and_the_edit_form_shows_it(persona_client, marketer, segment, sender,
                                                                     template):
    client = persona_client(marketer)
    _post(client, segment, sender, template, preset="custom", schedule=" 30  8 * * 2 ")
    campaign = Campaign.objects.get()
    assert campaign.schedule == "30 8 * * 2"
    page = client.get(reverse("campaigns:recurring_edit", args=[campaign.pk])).content.decode()
    assert 'value="30 8 * * 2"' in page
    custom_radio = re.search(r'<input[^>]*value="custom"[^>]*>', page).group(0)
    assert "checked" in custom_radio


def test_draft_page_shows_the_preflight_next_runs_and_description(persona_client, marketer, newsletter, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: TUESDAY)
    make_contacts(4)
    make_contacts(1, prefix="out", consent="opted_out")
    client = persona_client(marketer)
    detail = client.get(reverse("campaigns:detail", args=[newsletter.pk]))
    assert detail.status_code == 302 and detail["Location"] == reverse("campaigns:recurring_detail",
                                                                      args=[newsletter.pk])
    page = client.get(detail["Location"]).content.decode()
    assert 'id="preflight"' in page and '<span class="fs-3 fw-semibold" id="reach">4</span>' in page
    assert "Every Monday at 10:00" in page
    assert "2026-06-08 (Mon) 10:00" in page and "2026-06-15 (Mon) 10:00" in page and "2026-06-22 (Mon) 10:00" in page
    assert 'id="start"' in page and "No run yet." in page


def test_start_from_the_page_then_the_page_lists_past_runs(persona_client, marketer, newsletter, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: TUESDAY)
    make_contacts(3)
    client = persona_client(marketer)
    response = client.post(reverse("campaigns:recurring_start", args=[newsletter.pk]), follow=True)
    assert "The first issue goes out at 2026-06-08 10:00" in response.content.decode()
    recurring_run_due(now=MONDAY_TEN)
    monkeypatch.setattr(timezone, "now", lambda: MONDAY_TEN + timedelta(minutes=5))
    page = client.get(reverse("campaigns:recurring_detail", args=[newsletter.pk])).content.decode()
    assert 'id="preflight"' not in page and "#1" in page and "2026-06-15 (Mon) 10:00" in page
    assert Campaign.objects.get(pk=newsletter.pk).status == CampaignStatus.RUNNING


def test_a_cancelled_campaign_cannot_be_edited(persona_client, marketer, newsletter, segment, sender, template):
    """A running or paused one can change its schedule and message (test_running_edit); a cancelled one nothing."""
    recurring_start(newsletter, now=TUESDAY)
    campaign_move(campaign=newsletter, action="cancel")
    client = persona_client(marketer)
    response = client.post(reverse("campaigns:recurring_edit", args=[newsletter.pk]), {
        **FORM, "segment": segment.pk, "sender": sender.pk, "template": template.pk, "preset": "0 9 * * 1-5"})
    assert response.status_code == 302
    assert Campaign.objects.get(pk=newsletter.pk).schedule == "0 10 * * 1"


def test_list_page_links_to_the_new_form(persona_client, marketer):
    page = persona_client(marketer).get(reverse("campaigns:list")).content.decode()
    assert reverse("campaigns:recurring_new") in page and "New recurring newsletter" in page


def test_beat_runs_the_registered_task_every_minute_and_it_calls_the_pass(settings, newsletter):
    from config.celery import app

    app.loader.import_default_modules()
    entry = settings.CELERY_BEAT_SCHEDULE["run-recurring-newsletters"]
    task = app.tasks[entry["task"]]
    assert (entry["schedule"], entry["options"]["expires"]) == (60.0, 55)
    assert task.time_limit < settings.CELERY_BROKER_VISIBILITY_TIMEOUT
    assert task.run() == {}  # nothing due: the draft is not started
