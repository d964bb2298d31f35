"""Which touches fire which trigger: "was dormant before", pages, replies, bots."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.models import Alert, TriggerKind
from contacts.models import ContactStatus, TouchKind
from dormancy.models import DormancyMembership, DormancyRule
from dormancy.services import rule_members_apply, rule_members_refresh

from .conftest import NOW, alerts_for, evaluate_batch, make_contact, touch

pytestmark = pytest.mark.django_db


def test_dormant_contact_viewing_a_page_fires_came_back_with_silence_and_rule():
    contact = make_contact(last_touch_days=200, deal_stage="proposal")
    alerts = evaluate_batch([touch(contact, url="https://example.jp/blog/a")])
    [alert] = alerts_for(contact, TriggerKind.DORMANT_RETURN)
    assert [a.pk for a in alerts] == [alert.pk]
    why = alert.context["why"]
    assert why["rules"] == ["Silent 180 days, lost or stalled"]
    assert alert.context["silent_days"] == 200
    assert alert.context["dormant_by"] == ["Silent 180 days, lost or stalled"]
    assert alert.context["contact"]["lost_reason"] == ""
    assert alert.context["contact"]["deal_stage"] == "proposal"
    assert alert.context["visit"] == [{"kind": "page_view", "url": "https://example.jp/blog/a", "detail": "",
                                       "at": NOW.isoformat()}]


def test_contact_touched_10_days_ago_is_not_dormant_before_and_fires_nothing():
    contact = make_contact(last_touch_days=10)
    assert evaluate_batch([touch(contact)]) == []
    assert Alert.objects.count() == 0


def test_a_customer_silent_200_days_is_not_dormant_under_the_default_rule():
    contact = make_contact(last_touch_days=200, status=ContactStatus.CUSTOMER, deal_stage_changed_at=NOW.date())
    assert evaluate_batch([touch(contact)]) == []


def test_came_back_fires_even_after_the_facts_chain_removed_the_membership():
    """The facts chain may run first: membership is gone, yet the contact was dormant before this touch."""
    contact = make_contact(last_touch_days=200)
    rule = DormancyRule.objects.get(slug="default")
    DormancyRule.objects.filter(pk=rule.pk).update(updated_at=NOW - timedelta(days=1))
    rule_members_refresh(rule_id=rule.pk, run_at=NOW - timedelta(minutes=1))
    assert DormancyMembership.objects.filter(rule=rule, contact=contact).exists()
    stored = touch(contact)
    rule_members_apply(contact_ids=[contact.pk], run_at=NOW)
    assert not DormancyMembership.objects.filter(rule=rule, contact=contact).exists()
    evaluate_batch([stored])
    assert len(alerts_for(contact, TriggerKind.DORMANT_RETURN)) == 1


def test_a_second_batch_minutes_later_is_not_a_comeback_any_more():
    contact = make_contact(last_touch_days=200)
    evaluate_batch([touch(contact)])
    contact.refresh_from_db()
    later = NOW + timedelta(minutes=5)
    Alert.objects.all().delete()
    from alerts.models import AlertGate

    AlertGate.objects.all().delete()  # not the dedup window: the contact is simply not dormant any more
    assert evaluate_batch([touch(contact, at=later, url="https://example.jp/x")], now=later) == []


def test_never_touched_lead_acquired_long_ago_counts_as_dormant():
    contact = make_contact(acquired_at=(NOW - timedelta(days=400)).date())
    evaluate_batch([touch(contact)])
    assert len(alerts_for(contact, TriggerKind.DORMANT_RETURN)) == 1


def test_email_open_alone_does_not_mean_came_back():
    contact = make_contact(last_touch_days=200)
    assert evaluate_batch([touch(contact, kind=TouchKind.EMAIL_OPEN, url="")]) == []


def test_pricing_view_fires_for_an_active_contact_and_other_pages_do_not():
    hot = make_contact(last_touch_days=3)
    cold = make_contact(last_touch_days=3)
    evaluate_batch([touch(hot, url="https://example.jp/Pricing?plan=pro"), touch(cold, url="https://example.jp/blog")])
    [alert] = alerts_for(hot, TriggerKind.PAGE_VIEW)
    assert alert.context["why"]["url"] == "https://example.jp/Pricing?plan=pro"
    assert alerts_for(cold) == []


def test_dormant_contact_viewing_pricing_gets_both_alerts_in_one_batch():
    contact = make_contact(last_touch_days=365)
    with CaptureQueriesContext(connection) as queries:
        evaluate_batch([touch(contact, url="https://example.jp/pricing")])
    assert sorted(a.trigger.kind for a in alerts_for(contact)) == [TriggerKind.DORMANT_RETURN, TriggerKind.PAGE_VIEW]
    [came_back], [pricing] = alerts_for(contact, TriggerKind.DORMANT_RETURN), alerts_for(contact, TriggerKind.PAGE_VIEW)
    # One context for the batch, each alert with its own reason: the came-back alert names the rule it found the
    # contact dormant by; the page alert shows the stored memberships (none yet: the rule was never refreshed).
    assert came_back.context["why"]["kind"] == TriggerKind.DORMANT_RETURN
    assert came_back.context["dormant_by"] == ["Silent 180 days, lost or stalled"]
    assert pricing.context["why"] == {"kind": TriggerKind.PAGE_VIEW, "url": "https://example.jp/pricing",
                                      "at": NOW.isoformat()}
    assert pricing.context["dormant_by"] == []
    shared = {key: value for key, value in came_back.context.items() if key not in ("why", "dormant_by")}
    assert shared == {key: value for key, value in pricing.context.items() if key not in ("why", "dormant_by")}
    assert shared["silent_days"] == 365
    assert sum('FROM "contacts_contract"' in query["sql"] for query in queries.captured_queries) == 1


def test_reply_fires_reply_trigger_with_the_detail():
    contact = make_contact(last_touch_days=2)
    evaluate_batch([touch(contact, kind=TouchKind.REPLY, url="", detail="Re: renewal")])
    [alert] = alerts_for(contact, TriggerKind.REPLY_OR_FORM)
    assert alert.context["why"]["detail"] == "Re: renewal"


def test_bot_flagged_touches_fire_nothing_and_store_no_intake():
    from alerts.models import AlertIntake

    contact = make_contact(last_touch_days=300)
    assert evaluate_batch([touch(contact, url="https://example.jp/pricing", bot=True)]) == []
    assert AlertIntake.objects.count() == 0


def test_inactive_trigger_fires_nothing():
    from alerts.models import Trigger

    Trigger.objects.filter(kind=TriggerKind.PAGE_VIEW).update(is_active=False)
    contact = make_contact(last_touch_days=3)
    assert evaluate_batch([touch(contact, url="https://example.jp/pricing")]) == []


def test_email_click_names_the_campaign_that_brought_them_back():
    contact = make_contact(last_touch_days=250)
    evaluate_batch([touch(contact, kind=TouchKind.EMAIL_CLICK, url="https://example.jp/lp", detail="Spring win-back")])
    [alert] = alerts_for(contact, TriggerKind.DORMANT_RETURN)
    assert alert.context["campaign"] == "Spring win-back"


def test_an_intake_runs_once_even_when_its_message_arrives_twice():
    from alerts import evaluate, services

    contact = make_contact(last_touch_days=3)
    intake = services.touches_intake([touch(contact, url="https://example.jp/pricing")])
    assert len(evaluate.intake_process(intake_id=intake.pk, now=NOW)) == 1
    assert evaluate.intake_process(intake_id=intake.pk, now=NOW + timedelta(days=30)) == []
    assert Alert.objects.count() == 1
