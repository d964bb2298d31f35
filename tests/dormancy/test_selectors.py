"""Selectors: the workspace zone from settings, as-of dispatch, rules a contact matches."""
from datetime import date, datetime

import pytest
from django.test import override_settings
from django.utils import translation

from contacts.models import ContactStatus
from dormancy.models import DormancyRule
from dormancy.selectors import (
    dormant_queryset,
    dormant_queryset_as_of,
    rule_matches_for_contact,
    workspace_today,
)

from .conftest import TODAY, UTC, days_ago, tokyo


def emails(queryset):
    return set(queryset.values_list("email", flat=True))


def test_default_rule_ships_with_the_app(db):
    rule = DormancyRule.objects.get(slug="default")
    assert rule.definition() == {
        "name": "Silent 180 days, lost or stalled",
        "inactivity_days": 180,
        "touch_kinds": ["email_open", "email_click", "page_view", "form_submit", "download",
                        "call", "meeting", "card_exchange", "webinar", "reply"],
        "conditions": {"match": "any", "items": [{"type": "lost"}, {"type": "deal_stage_unchanged_days", "days": 90}]},
        "scope": [],
        "is_active": True,
    }
    assert list(rule.versions.values_list("number", "snapshot", "created_by")) == [(1, rule.definition(), None)]


def test_default_rule_takes_silent_lost_and_stalled_contacts(make_contact, touch):
    rule = DormancyRule.objects.get(slug="default")
    lost = make_contact(email="lost@example.com", status=ContactStatus.LOST, deal_stage_changed_at=days_ago(10))
    touch(lost, tokyo(days_ago(200)))
    stalled = make_contact(email="stalled@example.com", status=ContactStatus.OPPORTUNITY,
                           deal_stage_changed_at=days_ago(90))
    touch(stalled, tokyo(days_ago(180)))
    moving = make_contact(email="moving@example.com", status=ContactStatus.OPPORTUNITY,
                          deal_stage_changed_at=days_ago(89))
    touch(moving, tokyo(days_ago(300)))
    active = make_contact(email="active@example.com", status=ContactStatus.LOST)
    touch(active, tokyo(days_ago(179)))
    assert emails(dormant_queryset(rule, today=TODAY)) == {"lost@example.com", "stalled@example.com"}


@pytest.mark.parametrize(("zone", "expected"), [("Asia/Tokyo", set()), ("UTC", {"edge@example.com"})])
def test_dormant_queryset_reads_dates_in_the_workspace_zone(make_rule, make_contact, touch, zone, expected):
    rule = make_rule()
    contact = make_contact(email="edge@example.com")
    touch(contact, datetime(2025, 5, 31, 15, 30, tzinfo=UTC))  # 1 June 00:30 in Tokyo
    with override_settings(TIME_ZONE=zone):
        assert emails(dormant_queryset(rule, today=date(2025, 11, 27))) == expected


def test_workspace_today_is_the_date_in_the_workspace_zone():
    now = datetime(2025, 5, 31, 15, 30, tzinfo=UTC)
    assert workspace_today(now=now) == date(2025, 6, 1)
    with override_settings(TIME_ZONE="UTC"):
        assert workspace_today(now=now) == date(2025, 5, 31)


def test_as_of_in_the_past_replays_events_and_today_reads_the_summary(make_rule, make_contact, touch,
                                                                       django_assert_num_queries):
    rule = make_rule()
    contact = make_contact(email="back@example.com", acquired_at=date(2020, 1, 1))
    touch(contact, tokyo(days_ago(300)))
    touch(contact, tokyo(days_ago(5)))
    with django_assert_num_queries(1):
        assert emails(dormant_queryset_as_of(rule, as_of=days_ago(6), today=TODAY)) == {"back@example.com"}
    assert emails(dormant_queryset_as_of(rule, as_of=TODAY, today=TODAY)) == set()
    # A future as-of counts every touch held: silence is projected forward.
    assert emails(dormant_queryset_as_of(rule, as_of=days_ago(-175), today=TODAY)) == {"back@example.com"}


def test_contact_page_lists_the_active_rules_it_matches_with_reasons(make_rule, make_contact, touch,
                                                                     django_assert_num_queries):
    long_silence = make_rule(name="Silent a year", inactivity_days=365)
    make_rule(name="Silent 90 days, lost", inactivity_days=90,
              conditions={"match": "any", "items": [{"type": "lost"}]})
    make_rule(name="Inactive copy", inactivity_days=30, is_active=False)
    contact = make_contact(status=ContactStatus.OPPORTUNITY, deal_stage_changed_at=days_ago(120))
    touch(contact, tokyo(days_ago(400)))

    with translation.override("en"), django_assert_num_queries(2):
        matches = rule_matches_for_contact(contact, today=TODAY)

    assert [match["rule"].name for match in matches] == ["Silent 180 days, lost or stalled", "Silent a year"]
    assert matches[1]["rule"] == long_silence
    assert matches[1]["clauses"][0]["text"] == "last touch 2024-10-27 (Email click), 400 days ago ≥ 365"
    assert all(clause["ok"] for match in matches for clause in match["clauses"])


def test_contact_that_matches_no_rule_gets_an_empty_list(make_contact, touch):
    contact = make_contact(status=ContactStatus.LOST)
    touch(contact, tokyo(days_ago(1)))
    assert rule_matches_for_contact(contact, today=TODAY) == []
