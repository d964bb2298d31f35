"""Rule definitions pass an allow-list; everything else is refused with a clear message."""
import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from dormancy.rules import validate_rule_definition

VALID = {
    "name": "Fast line", "slug": "fast-line", "inactivity_days": 90,
    "touch_kinds": ["reply", "email_click", "reply"],
    "conditions": {"match": "all", "items": [
        {"type": "status_in", "values": ["former_customer", "lost", "lost"]},
        {"type": "deal_stage_unchanged_days", "days": 60},
    ]},
    "scope": [
        {"field": "industry", "op": "in", "value": ["製造", "IT"]},
        {"field": "company_size_min", "op": "eq", "value": 50},
        {"field": "owner", "op": "eq", "value": 3},
        {"field": "attribute:製品ライン", "op": "eq", "value": "ERP"},
    ],
}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def errors_for(**changes):
    with pytest.raises(ValidationError) as raised:
        validate_rule_definition({**VALID, **changes})
    return raised.value.message_dict


def test_valid_definition_is_cleaned_to_canonical_form():
    cleaned = validate_rule_definition(VALID)
    assert cleaned["touch_kinds"] == ["email_click", "reply"]
    assert cleaned["conditions"]["items"][0] == {"type": "status_in", "values": ["former_customer", "lost"]}
    assert cleaned["scope"] == VALID["scope"]
    assert cleaned["is_active"] is True


def test_minimal_definition_gets_no_conditions_and_no_scope():
    cleaned = validate_rule_definition({"name": "n", "inactivity_days": 30, "touch_kinds": ["call"]})
    assert cleaned == {"name": "n", "inactivity_days": 30, "touch_kinds": ["call"],
                       "conditions": {"match": "any", "items": []}, "scope": [], "is_active": True}


def test_unknown_condition_type_is_named():
    errors = errors_for(conditions={"match": "any", "items": [{"type": "lost"}, {"type": "raw_sql", "sql": "1=1"}]})
    assert errors == {"conditions": [
        'Condition 2: unknown condition type "raw_sql". Known types: status_in, deal_stage_unchanged_days, lost.',
    ]}


def test_unknown_scope_field_is_named():
    errors = errors_for(scope=[{"field": "email; DROP TABLE contacts_contact", "op": "eq", "value": "x"}])
    assert errors == {"scope": [
        'Scope 1: unknown field "email; DROP TABLE contacts_contact". Known fields: industry, status, lost_reason, '
        "owner, title, company_size_min, company_size_max, attribute:<name>.",
    ]}


def test_unknown_scope_operator_is_named():
    errors = errors_for(scope=[{"field": "title", "op": "like", "value": "%部長%"}])
    assert errors == {"scope": ['Scope 1: unknown operator "like"; use "eq" or "in".']}


@pytest.mark.parametrize("days", [0, -5, 3651, 1.5, "180", True, None])
def test_bad_inactivity_days_are_refused(days):
    assert errors_for(inactivity_days=days) == {"inactivity_days": [
        f"The inactivity threshold must be a whole number of days from 1 to 3650, not {days!r}.",
    ]}


def test_bad_days_in_a_condition_are_refused():
    errors = errors_for(conditions={"match": "any", "items": [{"type": "deal_stage_unchanged_days", "days": 0}]})
    assert errors == {"conditions": [
        "Condition 1: the deal stage age must be a whole number of days from 1 to 3650, not 0.",
    ]}


def test_unknown_touch_kind_is_named():
    assert errors_for(touch_kinds=["email_click", "tweet"]) == {"touch_kinds": [
        'Unknown touch kind "tweet". Known kinds: email_open, email_click, page_view, form_submit, download, call, '
        "meeting, card_exchange, webinar, reply.",
    ]}


def test_no_touch_kind_is_refused():
    assert errors_for(touch_kinds=[]) == {"touch_kinds": ["Pick at least one touch kind that counts as a touch."]}


@pytest.mark.parametrize(("scope", "message"), [
    ([{"field": "status", "op": "eq", "value": "zombie"}],
     'Scope 1: unknown status "zombie". Known values: lead, opportunity, customer, former_customer, lost.'),
    ([{"field": "owner", "op": "eq", "value": "rep1@example.com"}], "Scope 1: 'rep1@example.com' is not a user id."),
    ([{"field": "industry", "op": "in", "value": []}], 'Scope 1: "in" needs a list of 1 to 200 values.'),
    ([{"field": "company_size_max", "op": "in", "value": [10]}],
     'Scope 1: company_size_max takes "eq" with a whole number of employees.'),
    ([{"field": "attribute:", "op": "eq", "value": "x"}], 'Scope 1: "" is not a usable custom attribute name.'),
    ([{"field": "industry", "op": "eq"}], 'Scope 1 must be an object with "field", "op" and "value".'),
    ({"field": "industry"}, "The scope must be a list of at most 20 attribute conditions."),
])
def test_bad_scope_is_refused_with_a_message(scope, message):
    assert errors_for(scope=scope) == {"scope": [message]}


@pytest.mark.parametrize(("conditions", "message"), [
    ({"match": "some", "items": []}, 'Unknown match "some"; use "any" or "all".'),
    ({"match": "any", "items": [{"type": "lost", "since": 3}]}, 'Condition 1: unexpected key "since".'),
    ({"match": "any", "items": [{"type": "status_in", "values": ["gone"]}]},
     'Condition 1: unknown status "gone". Known values: lead, opportunity, customer, former_customer, lost.'),
    ({"match": "any", "items": [{"type": "status_in", "values": []}]}, "Condition 1 needs a list of 1 to 200 values."),
    ([{"type": "lost"}], 'Conditions must be an object with "match" ("any" or "all") and "items".'),
])
def test_bad_conditions_are_refused_with_a_message(conditions, message):
    assert errors_for(conditions=conditions) == {"conditions": [message]}


def test_every_problem_is_reported_at_once():
    with pytest.raises(ValidationError) as raised:
        validate_rule_definition({"name": " ", "slug": "has space", "inactivity_days": 0, "touch_kinds": ["x"],
                                  "extra": 1})
    assert sorted(raised.value.message_dict) == ["extra", "inactivity_days", "name", "slug", "touch_kinds"]
    assert raised.value.message_dict["extra"] == ['Unknown field "extra".']


def test_missing_required_fields_are_named():
    with pytest.raises(ValidationError) as raised:
        validate_rule_definition({"name": "n"})
    assert raised.value.message_dict == {
        "inactivity_days": ["This field is required."], "touch_kinds": ["This field is required."],
    }
