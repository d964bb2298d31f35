"""Explanations say which clauses held, with the dates and values that decided them."""
from datetime import date

import pytest
from django.utils import translation

from contacts.models import Company, ContactStatus, TouchKind
from dormancy.rules import explain_membership, is_member

from .conftest import TODAY, TOKYO, days_ago, tokyo

DEFAULT_CONDITIONS = {"match": "any", "items": [{"type": "lost"}, {"type": "deal_stage_unchanged_days", "days": 90}]}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_explanation_of_a_lost_contact_silent_for_203_days(make_rule, make_contact, touch):
    rule = make_rule(conditions=DEFAULT_CONDITIONS)
    contact = make_contact(status=ContactStatus.LOST, deal_stage_changed_at=days_ago(30))
    touch(contact, tokyo(days_ago(203)), kind=TouchKind.EMAIL_CLICK)
    touch(contact, tokyo(days_ago(250)), kind=TouchKind.MEETING)

    clauses = explain_membership(rule, contact, today=TODAY, tz=TOKYO)

    assert clauses == [
        {"clause": "inactivity", "ok": True, "text": "last touch 2025-05-12 (Email click), 203 days ago ≥ 180",
         "values": {"date": "2025-05-12", "source": "touch", "kind": "email_click", "days_ago": 203,
                    "threshold": 180}},
        {"clause": "conditions", "ok": True, "text": "at least one condition holds", "values": {"match": "any"},
         "items": [
             {"clause": "lost", "ok": True, "text": "status lost", "values": {"status": "lost"}},
             {"clause": "deal_stage_unchanged_days", "ok": False,
              "text": "deal stage unchanged since 2025-11-01, 30 days < 90",
              "values": {"date": "2025-11-01", "source": "stage_change", "days": 30, "threshold": 90}},
         ]},
    ]
    assert is_member(clauses)


def test_explanation_of_a_recently_touched_contact_says_why_not(make_rule, make_contact, touch):
    rule = make_rule(conditions=DEFAULT_CONDITIONS)
    contact = make_contact(status=ContactStatus.OPPORTUNITY, deal_stage_changed_at=days_ago(100))
    touch(contact, tokyo(days_ago(179), 0, 0), kind=TouchKind.WEBINAR)

    clauses = explain_membership(rule, contact, today=TODAY, tz=TOKYO)

    assert clauses[0]["ok"] is False
    assert clauses[0]["text"] == "last touch 2025-06-05 (Webinar), 179 days ago < 180"
    assert [item["text"] for item in clauses[1]["items"]] == [
        "status Opportunity, not lost", "deal stage unchanged since 2025-08-23, 100 days ≥ 90",
    ]
    assert not is_member(clauses)


def test_explanation_uses_only_the_rules_touch_kinds(make_rule, make_contact, touch):
    rule = make_rule(touch_kinds=[TouchKind.CALL, TouchKind.MEETING])
    contact = make_contact(acquired_at=date(2024, 4, 1))
    touch(contact, tokyo(days_ago(3)), kind=TouchKind.EMAIL_OPEN)

    clauses = explain_membership(rule, contact, today=TODAY, tz=TOKYO)

    assert clauses == [{
        "clause": "inactivity", "ok": True, "text": "no touch; acquired 2024-04-01, 609 days ago ≥ 180",
        "values": {"date": "2024-04-01", "source": "acquired", "kind": None, "days_ago": 609, "threshold": 180},
    }]


def test_explanation_falls_back_to_the_day_the_contact_was_added(make_rule, make_contact):
    rule = make_rule(conditions={"match": "all", "items": [{"type": "deal_stage_unchanged_days", "days": 90}]})
    contact = make_contact(created_on=days_ago(200))

    clauses = explain_membership(rule, contact, today=TODAY, tz=TOKYO)

    assert clauses[0]["text"] == "no touch and no acquisition date; added 2025-05-15, 200 days ago ≥ 180"
    assert clauses[1]["text"] == "all conditions hold"
    assert clauses[1]["items"][0]["text"] == "no deal stage change recorded; known since 2025-05-15, 200 days ≥ 90"


def test_explanation_lists_each_scope_condition(make_rule, make_contact):
    company = Company.objects.create(name="Maker", industry="製造", employee_count=40)
    rule = make_rule(scope=[
        {"field": "industry", "op": "in", "value": ["製造", "IT"]},
        {"field": "company_size_min", "op": "eq", "value": 100},
        {"field": "attribute:product_line", "op": "eq", "value": "ERP"},
    ])
    contact = make_contact(company=company, acquired_at=date(2020, 1, 1), attributes={"product_line": "ERP"})

    clauses = explain_membership(rule, contact, today=TODAY, tz=TOKYO)

    assert [(c["clause"], c["ok"], c["text"]) for c in clauses[1:]] == [
        ("scope", True, "industry is 製造 (rule: in 製造, IT)"),
        ("scope", False, "company_size_min is 40, rule wants ≥ 100"),
        ("scope", True, "attribute:product_line is ERP (rule: = ERP)"),
    ]
    assert not is_member(clauses)


def test_explanation_reads_the_touch_summary_in_one_query(make_rule, make_contact, touch, django_assert_num_queries):
    rule = make_rule()
    contact = make_contact()
    touch(contact, tokyo(days_ago(10)))
    with django_assert_num_queries(1):
        clauses = explain_membership(rule, contact, today=TODAY, tz=TOKYO)
    assert clauses[0]["values"]["days_ago"] == 10
