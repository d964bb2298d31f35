"""Extra conditions (lost, stalled deal stage, status set) and scope on attributes."""
from datetime import date

import pytest

from contacts.models import Company, Contact, ContactStatus, LostReason
from dormancy.rules import dormant_q

from .conftest import TODAY, TOKYO, days_ago, tokyo

LOST = {"type": "lost"}
STALLED_90 = {"type": "deal_stage_unchanged_days", "days": 90}
SILENT = {"acquired_at": date(2020, 1, 1)}  # no touches, acquired long ago: silent under any threshold


def members(rule, today=TODAY):
    return set(Contact.objects.filter(dormant_q(rule, today=today, tz=TOKYO)).values_list("email", flat=True))


def test_lost_condition_takes_only_lost_contacts(make_rule, make_contact):
    rule = make_rule(conditions={"match": "any", "items": [LOST]})
    make_contact(email="lost@example.com", status=ContactStatus.LOST, **SILENT)
    make_contact(email="customer@example.com", status=ContactStatus.CUSTOMER, **SILENT)
    assert members(rule) == {"lost@example.com"}


def test_deal_stage_unchanged_89_days_is_not_stalled(make_rule, make_contact):
    rule = make_rule(conditions={"match": "any", "items": [STALLED_90]})
    make_contact(email="s89@example.com", deal_stage="proposal", deal_stage_changed_at=days_ago(89), **SILENT)
    make_contact(email="s90@example.com", deal_stage="proposal", deal_stage_changed_at=days_ago(90), **SILENT)
    make_contact(email="s91@example.com", deal_stage="proposal", deal_stage_changed_at=days_ago(91), **SILENT)
    assert members(rule) == {"s90@example.com", "s91@example.com"}


def test_no_recorded_stage_change_counts_from_acquisition_then_from_creation(make_rule, make_contact):
    rule = make_rule(inactivity_days=30, conditions={"match": "any", "items": [STALLED_90]})
    make_contact(email="acq90@example.com", acquired_at=days_ago(90))
    make_contact(email="acq89@example.com", acquired_at=days_ago(89))
    make_contact(email="added90@example.com", created_on=days_ago(90))
    make_contact(email="added89@example.com", created_on=days_ago(89))
    assert members(rule) == {"acq90@example.com", "added90@example.com"}


def test_status_in_takes_the_listed_statuses(make_rule, make_contact):
    rule = make_rule(conditions={"match": "any", "items": [
        {"type": "status_in", "values": [ContactStatus.FORMER_CUSTOMER, ContactStatus.LOST]},
    ]})
    for status in ContactStatus.values:
        make_contact(email=f"{status}@example.com", status=status, **SILENT)
    assert members(rule) == {"former_customer@example.com", "lost@example.com"}


def test_match_any_takes_contacts_meeting_either_condition(make_rule, make_contact):
    rule = make_rule(conditions={"match": "any", "items": [LOST, STALLED_90]})
    make_contact(email="lost-fresh-stage@example.com", status=ContactStatus.LOST, deal_stage_changed_at=days_ago(3),
                 **SILENT)
    make_contact(email="lead-stalled@example.com", status=ContactStatus.LEAD, deal_stage_changed_at=days_ago(120),
                 **SILENT)
    make_contact(email="lead-moving@example.com", status=ContactStatus.LEAD, deal_stage_changed_at=days_ago(3),
                 **SILENT)
    assert members(rule) == {"lost-fresh-stage@example.com", "lead-stalled@example.com"}


def test_match_all_needs_every_condition(make_rule, make_contact):
    rule = make_rule(conditions={"match": "all", "items": [LOST, STALLED_90]})
    make_contact(email="lost-stalled@example.com", status=ContactStatus.LOST, deal_stage_changed_at=days_ago(120),
                 **SILENT)
    make_contact(email="lost-moving@example.com", status=ContactStatus.LOST, deal_stage_changed_at=days_ago(3),
                 **SILENT)
    make_contact(email="lead-stalled@example.com", status=ContactStatus.LEAD, deal_stage_changed_at=days_ago(120),
                 **SILENT)
    assert members(rule) == {"lost-stalled@example.com"}


def test_conditions_do_not_rescue_a_contact_that_is_not_silent(make_rule, make_contact, touch):
    rule = make_rule(conditions={"match": "any", "items": [LOST]})
    contact = make_contact(email="lost-but-active@example.com", status=ContactStatus.LOST, **SILENT)
    touch(contact, tokyo(days_ago(1)))
    assert members(rule) == set()


@pytest.fixture
def companies(db):
    return {
        "maker": Company.objects.create(name="Maker", industry="製造", employee_count=500),
        "shop": Company.objects.create(name="Shop", industry="小売", employee_count=20),
        "unknown": Company.objects.create(name="Unknown size", industry="IT", employee_count=None),
    }


@pytest.fixture
def scoped_contacts(make_contact, companies, rep, other_rep):
    make_contact(email="maker@example.com", company=companies["maker"], owner=rep, title="部長",
                 lost_reason=LostReason.COMPETITOR, attributes={"product_line": "ERP", "rank": 3}, **SILENT)
    make_contact(email="shop@example.com", company=companies["shop"], owner=other_rep, title="担当",
                 status=ContactStatus.LOST, lost_reason=LostReason.PENDING, attributes={"product_line": "POS"},
                 **SILENT)
    make_contact(email="unknown@example.com", company=companies["unknown"], **SILENT)
    make_contact(email="nocompany@example.com", attributes={"製品ライン": "ERP"}, **SILENT)
    return {"rep": rep, "other_rep": other_rep}


@pytest.mark.parametrize(("scope", "expected"), [
    ([{"field": "industry", "op": "eq", "value": "製造"}], {"maker"}),
    ([{"field": "industry", "op": "in", "value": ["製造", "小売"]}], {"maker", "shop"}),
    ([{"field": "status", "op": "eq", "value": "lost"}], {"shop"}),
    ([{"field": "status", "op": "in", "value": ["lead", "customer"]}], {"maker", "unknown", "nocompany"}),
    ([{"field": "lost_reason", "op": "in", "value": ["competitor", "pending"]}], {"maker", "shop"}),
    ([{"field": "title", "op": "eq", "value": "部長"}], {"maker"}),
    ([{"field": "company_size_min", "op": "eq", "value": 100}], {"maker"}),
    ([{"field": "company_size_max", "op": "eq", "value": 100}], {"shop"}),
    ([{"field": "company_size_min", "op": "eq", "value": 20}, {"field": "company_size_max", "op": "eq", "value": 20}],
     {"shop"}),
    ([{"field": "attribute:product_line", "op": "eq", "value": "ERP"}], {"maker"}),
    ([{"field": "attribute:product_line", "op": "in", "value": ["ERP", "POS"]}], {"maker", "shop"}),
    ([{"field": "attribute:rank", "op": "eq", "value": "3"}], {"maker"}),
    ([{"field": "attribute:製品ライン", "op": "eq", "value": "ERP"}], {"nocompany"}),
    ([{"field": "industry", "op": "eq", "value": "製造"}, {"field": "status", "op": "eq", "value": "lost"}], set()),
    ([], {"maker", "shop", "unknown", "nocompany"}),
])
def test_scope_limits_members_to_matching_attributes(make_rule, scoped_contacts, scope, expected):
    rule = make_rule(scope=scope)
    assert members(rule) == {f"{name}@example.com" for name in expected}


def test_scope_on_owner_takes_that_reps_contacts(make_rule, scoped_contacts):
    rule = make_rule(scope=[{"field": "owner", "op": "eq", "value": scoped_contacts["rep"].pk}])
    assert members(rule) == {"maker@example.com"}
    rule = make_rule(scope=[{"field": "owner", "op": "in",
                             "value": [scoped_contacts["rep"].pk, scoped_contacts["other_rep"].pk]}])
    assert members(rule) == {"maker@example.com", "shop@example.com"}


def test_attribute_key_with_sql_in_it_is_only_a_key(make_rule, scoped_contacts):
    rule = make_rule(scope=[{"field": "attribute:x') OR 1=1 --", "op": "eq", "value": "' OR '1'='1"}])
    assert members(rule) == set()
    assert Contact.objects.count() == 4
