"""Changing a running or paused newsletter: the schedule and message from now on, never the audience."""
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, CampaignStatus, CampaignStep, Delivery, DeliveryStatus, MessageTemplate
from campaigns.recurring import _run_occurrence, recurring_run_due, recurring_start
from campaigns.recurring_changes import first_run_after_change, recurring_change
from campaigns.services import campaign_move
from segments.models import Segment

from ..sending.conftest import make_contacts

TUESDAY = datetime(2026, 6, 2, 1, 0, tzinfo=UTC)  # Tue 2026-06-02 10:00 Tokyo
MONDAY_TEN = datetime(2026, 6, 8, 1, 0, tzinfo=UTC)  # Mon 2026-06-08 10:00 Tokyo: the first run
WEDNESDAY_NOON = datetime(2026, 6, 10, 3, 0, tzinfo=UTC)  # Wed 2026-06-10 12:00 Tokyo
THURSDAY_NINE = datetime(2026, 6, 11, 0, 0, tzinfo=UTC)  # Thu 2026-06-11 09:00 Tokyo


def rows(campaign, occurrence=None):
    found = Delivery.objects.filter(step__campaign=campaign)
    return found if occurrence is None else found.filter(occurrence=occurrence)


def change(campaign, *, now, user=None, **fields):
    step = campaign.steps.get()
    values = {"name": campaign.name, "schedule": campaign.schedule, "template": step.template,
              "template_b": step.template_b, "variant_b_percent": campaign.variant_b_percent,
              "segment": campaign.segment, "sender": campaign.sender, "topic": None,
              "holdout_percent": campaign.holdout_percent, **fields}
    return recurring_change(campaign=campaign, now=now, user=user, **values)


@pytest.fixture
def ran_once(newsletter):
    """Started on a Tuesday, ran Monday 10:00 for 3 contacts (occurrence 1), every row since sent."""
    make_contacts(3)
    recurring_start(newsletter, now=TUESDAY)
    assert recurring_run_due(now=MONDAY_TEN) == {newsletter.pk: 3}
    rows(newsletter).update(status=DeliveryStatus.SENT, sent_at=MONDAY_TEN)
    newsletter.refresh_from_db()
    return newsletter


def test_new_schedule_applies_from_now_and_missed_times_are_not_made_up(ran_once):
    changed = change(ran_once, now=WEDNESDAY_NOON, schedule="0 9 * * *")  # daily 09:00: Tue and Wed 09:00 passed
    assert changed == ["schedule"]
    campaign = Campaign.objects.get(pk=ran_once.pk)
    assert (campaign.schedule, campaign.next_run_at, campaign.status) == ("0 9 * * *", THURSDAY_NINE,
                                                                          CampaignStatus.RUNNING)

    assert recurring_run_due(now=WEDNESDAY_NOON + timedelta(minutes=1)) == {}  # no catch-up
    assert recurring_run_due(now=THURSDAY_NINE) == {campaign.pk: 3}
    assert recurring_run_due(now=THURSDAY_NINE + timedelta(seconds=30)) == {}
    assert sorted(rows(campaign).values_list("occurrence", flat=True)) == [1, 1, 1, 2, 2, 2]
    assert Campaign.objects.get(pk=campaign.pk).next_run_at == THURSDAY_NINE + timedelta(days=1)


def test_moving_the_time_on_the_day_it_ran_does_not_send_that_issue_again(ran_once):
    change(ran_once, now=MONDAY_TEN + timedelta(hours=1), schedule="0 14 * * 1")  # Mondays 14:00, at 11:00
    next_monday_two = MONDAY_TEN + timedelta(days=7, hours=4)
    assert Campaign.objects.get(pk=ran_once.pk).next_run_at == next_monday_two
    assert recurring_run_due(now=MONDAY_TEN + timedelta(hours=4)) == {}  # today's 14:00 counts as made
    assert rows(ran_once).count() == 3
    assert recurring_run_due(now=next_monday_two) == {ran_once.pk: 3}
    assert sorted(set(rows(ran_once).values_list("occurrence", flat=True))) == [1, 2]


def test_a_beat_pass_that_read_the_old_schedule_writes_nothing_after_the_change(ran_once):
    stale = Campaign.objects.get(pk=ran_once.pk)  # read by a pass just before the change: next run Monday 15th
    change(ran_once, now=WEDNESDAY_NOON, schedule="0 9 * * *")
    assert _run_occurrence(stale, now=stale.next_run_at) == 0
    assert rows(ran_once).count() == 3
    assert Campaign.objects.get(pk=ran_once.pk).next_run_at == THURSDAY_NINE


def test_first_run_rule_skips_only_the_time_nearest_the_last_run():
    last = MONDAY_TEN
    # Hourly moved to half past: 09:30 and 10:30 are as near as each other, so the run goes ahead.
    assert first_run_after_change("30 * * * *", now=last + timedelta(minutes=5), last_run=last) == (
        last + timedelta(minutes=30))
    # Weekly Monday moved to Tuesday on the Monday it ran: this Tuesday is nearest, next Tuesday comes.
    assert first_run_after_change("0 10 * * 2", now=last + timedelta(hours=1), last_run=last) == (
        last + timedelta(days=8))
    # Never ran: simply the first time after now.
    assert first_run_after_change("0 10 * * 2", now=last, last_run=None) == last + timedelta(days=1)


def test_a_paused_newsletter_takes_the_new_schedule_and_resumes_on_it(ran_once):
    campaign_move(campaign=ran_once, action="pause")
    ran_once.refresh_from_db()
    change(ran_once, now=WEDNESDAY_NOON, schedule="0 9 * * *")
    assert Campaign.objects.get(pk=ran_once.pk).status == CampaignStatus.PAUSED
    assert recurring_run_due(now=THURSDAY_NINE) == {}  # paused: skipped, moved on
    campaign_move(campaign=ran_once, action="resume")
    assert recurring_run_due(now=THURSDAY_NINE + timedelta(days=1)) == {ran_once.pk: 3}
    assert sorted(set(rows(ran_once).values_list("occurrence", flat=True))) == [1, 2]


def test_the_message_changes_for_the_next_run_but_not_while_mails_are_waiting(newsletter, template):
    make_contacts(2)
    recurring_start(newsletter, now=TUESDAY)
    recurring_run_due(now=MONDAY_TEN)  # two rows queued
    other = MessageTemplate.objects.create(name="Summer news", language="en", subject="Summer", body_text="Hi")
    with pytest.raises(ValidationError) as refused:
        change(newsletter, now=MONDAY_TEN + timedelta(minutes=1), template=other)
    assert refused.value.messages == [
        "The message cannot change while mails of the last run are still waiting to go out (2). Change it once "
        "they have left, or change only the schedule now."]
    assert CampaignStep.objects.get(campaign=newsletter).template == template
    rows(newsletter).update(status=DeliveryStatus.SENT)
    assert change(newsletter, now=MONDAY_TEN + timedelta(hours=1), template=other, name="Summer letter") == [
        "name", "template"]
    assert CampaignStep.objects.get(campaign=newsletter).template == other
    assert Campaign.objects.get(pk=newsletter.pk).next_run_at == MONDAY_TEN + timedelta(days=7)  # schedule kept


@pytest.mark.parametrize(("field", "value", "label"), [
    ("segment", "other_segment", "segment"), ("holdout_percent", 10, "holdout"), ("sender", "other_sender", "sender"),
])
def test_a_draft_only_field_is_refused_while_running_and_nothing_changes(ran_once, sender, field, value, label):
    if value == "other_segment":
        value = Segment.objects.create(name="Other", definition={"op": "and", "items": []})
    elif value == "other_sender":
        value = type(sender).objects.create(name="Other", from_name="Other", from_email="other@example.co.jp")
    before = Campaign.objects.filter(pk=ran_once.pk).values().get()
    with pytest.raises(ValidationError) as refused:
        change(ran_once, now=WEDNESDAY_NOON, schedule="0 9 * * *", **{field: value})
    assert refused.value.messages == [
        f"The {'sender profile' if label == 'sender' else label} cannot change once the newsletter has started. To "
        "send to another audience, from another sender or with another holdout, create a new newsletter."]
    assert Campaign.objects.filter(pk=ran_once.pk).values().get() == before  # not even the schedule
    assert LogEntry.objects.count() == 0


def test_a_cancelled_newsletter_is_not_changed(ran_once):
    campaign_move(campaign=ran_once, action="cancel")
    ran_once.refresh_from_db()
    with pytest.raises(ValidationError):
        change(ran_once, now=WEDNESDAY_NOON, schedule="0 9 * * *")
    assert Campaign.objects.get(pk=ran_once.pk).schedule == "0 10 * * 1"


# Pages ---------------------------------------------------------------------------------------------------------

def _form(campaign, template, **extra):
    return {"name": campaign.name, "segment": campaign.segment_id, "sender": campaign.sender_id,
            "template": template.pk, "variant_b_percent": "50", "holdout_percent": "0", "preset": "0 10 * * 1",
            **extra}


def test_marketer_changes_the_schedule_of_a_running_newsletter_from_its_page(persona_client, marketer, ran_once,
                                                                             template, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: WEDNESDAY_NOON)
    client = persona_client(marketer)
    detail = client.get(reverse("campaigns:recurring_detail", args=[ran_once.pk])).content.decode()
    assert 'id="edit-started"' in detail and "2026-06-15 (Mon) 10:00" in detail

    form = client.get(reverse("campaigns:recurring_edit", args=[ran_once.pk])).content.decode()
    assert "Change a running newsletter" in form and "Save changes" in form
    assert "Fixed once the newsletter has started." in form

    response = client.post(reverse("campaigns:recurring_edit", args=[ran_once.pk]),
                           _form(ran_once, template, preset="custom", schedule="0 9 * * 2,4"), follow=True)
    page = response.content.decode()
    assert ("Saved. The new schedule applies from now on: the next run is at 2026-06-11 09:00 (workspace time). "
            "Past runs are neither repeated nor made up.") in page
    assert "2026-06-11 (Thu) 09:00" in page and "2026-06-16 (Tue) 09:00" in page and "2026-06-18 (Thu) 09:00" in page
    assert "2026-06-15 (Mon) 10:00" not in page
    assert "Last changed by marketer1 on 2026-06-10 12:00: Changed schedule." in page
    entry = LogEntry.objects.get()
    assert (entry.user, entry.object_id, json.loads(entry.change_message)) == (
        marketer, str(ran_once.pk), [{"changed": {"fields": ["schedule"]}}])
    assert rows(ran_once).count() == 3


def test_posting_another_segment_for_a_running_newsletter_is_refused_with_a_message(persona_client, marketer,
                                                                                   ran_once, template, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: WEDNESDAY_NOON)
    other = Segment.objects.create(name="Other", definition={"op": "and", "items": []})
    response = persona_client(marketer).post(reverse("campaigns:recurring_edit", args=[ran_once.pk]),
                                             _form(ran_once, template, segment=other.pk, preset="0 9 * * 1-5"))
    assert response.status_code == 200
    assert "The segment cannot change once the newsletter has started." in response.content.decode()
    campaign = Campaign.objects.get(pk=ran_once.pk)
    assert (campaign.segment_id, campaign.schedule, campaign.next_run_at) == (
        ran_once.segment_id, "0 10 * * 1", MONDAY_TEN + timedelta(days=7))
