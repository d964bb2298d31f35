"""The allow-list: bad trees are refused with the JSON path of the bad item, and never reach SQL."""
import pytest
from django.core.exceptions import ValidationError

from segments.rules import validate_definition


def _errors(tree, known_rules=frozenset({"default"})):
    with pytest.raises(ValidationError) as caught:
        validate_definition(tree, known_rules=known_rules)
    return caught.value.messages


def cond(**kw):
    return {"type": "attribute", **kw}


def test_bad_operator_deep_in_the_tree_names_its_path():
    tree = {"op": "and", "items": [cond(field="email", op="equals", value="a"),
                                   {"op": "or", "items": [cond(field="title", op="drop table", value="x")]}]}
    assert _errors(tree) == ["items[1].items[0].op: 'drop table' is not an operator for a text field."]


@pytest.mark.parametrize("field", ["email; DROP TABLE contacts_contact", "company__name", "password",
                                   "owner__password", "id) OR 1=1 --", 42, None])
def test_injection_in_field_names_is_refused(field):
    messages = _errors({"op": "and", "items": [cond(field=field, op="equals", value="x")]})
    assert len(messages) == 1 and messages[0].startswith("items[0].field: ")
    assert "is not a field you can filter on" in messages[0]


@pytest.mark.parametrize("op", ["=", "equals OR 1=1", "__gt", "regex", "in; --"])
def test_injection_in_operators_is_refused(op):
    assert _errors({"op": "and", "items": [cond(field="status", op=op, value="lost")]}) == [
        f"items[0].op: {op!r} is not an operator for a choice field."
    ]


def test_group_operator_must_be_and_or():
    assert _errors({"op": "xor", "items": [{"type": "consent", "can_receive_marketing": True}]}) == [
        "op: 'xor' is not a group operator; use \"and\" or \"or\"."
    ]


def test_unknown_condition_type_is_refused_clearly():
    messages = _errors({"op": "and", "items": [{"type": "telepathy", "gte": 50}]})
    assert messages[0].startswith("items[0]: unknown condition type 'telepathy'.")


@pytest.mark.parametrize("tree, message", [
    ({"op": "and", "items": []}, "items: a group needs 1 to 20 conditions."),
    ({"op": "and", "items": [cond(field="company.employee_count", op="gt", value="10")]},
     "items[0].value: '10' is not a whole number."),
    ({"op": "and", "items": [cond(field="acquired_at", op="before", value="2026-02-30")]},
     "items[0].value: '2026-02-30' is not a date as YYYY-MM-DD."),
    ({"op": "and", "items": [cond(field="status", op="equals", value="vip")]},
     "items[0].value: 'vip' is not a known value. Known values: lead, opportunity, customer, former_customer, lost."),
    ({"op": "and", "items": [cond(field="is_decision_maker", op="is_true", value="yes")]},
     "items[0].value: is_true takes no value."),
    ({"op": "and", "items": [cond(field="acquired_at", op="between", value=["2026-05-01", "2026-01-01"])]},
     "items[0].value: the first date must not be after the second."),
    ({"op": "and", "items": [{"type": "behaviour", "kind": "teleport"}]},
     "items[0].kind: 'teleport' is not a touch kind. Known kinds: email_open, email_click, page_view, form_submit, "
     "download, call, meeting, card_exchange, webinar, reply."),
    ({"op": "and", "items": [{"type": "behaviour", "kind": "page_view", "min_count": 3, "max_count": 1}]},
     "items[0]: min_count must not be greater than max_count."),
    ({"op": "and", "items": [{"type": "dormancy", "rule": "nope"}]},
     "items[0].rule: there is no dormancy rule 'nope'."),
    ({"op": "and", "items": [{"type": "dormancy", "rule": "x' OR '1'='1"}]},
     "items[0].rule: \"x' OR '1'='1\" is not a dormancy rule slug."),
    ({"op": "and", "items": [{"type": "lapse"}]},
     "items[0]: a lapse condition needs exactly one of expiring_within_days or lapsed_within_days."),
    ({"op": "and", "items": [{"type": "consent", "can_receive_marketing": "yes"}]},
     "items[0].can_receive_marketing: can_receive_marketing must be true or false."),
    ({"op": "and", "items": [{"type": "dormant_days", "min_days": -1}]},
     "items[0].min_days: -1 is not a whole number of days from 0 to 3650."),
    ({"op": "and", "items": [cond(field="email", op="equals", value="a", extra=1)]},
     "items[0]: unexpected key 'extra' in a attribute condition."),
])
def test_bad_values_get_clear_messages(tree, message):
    assert message in _errors(tree)


def test_nesting_beyond_four_levels_is_refused():
    leaf = {"type": "consent", "can_receive_marketing": True}
    tree = {"op": "and", "items": [{"op": "or", "items": [{"op": "and", "items": [
        {"op": "or", "items": [{"op": "and", "items": [leaf]}]}]}]}]}
    assert _errors(tree) == ["items[0].items[0].items[0].items[0]: groups nest at most 4 levels deep."]


def test_valid_tree_comes_back_cleaned():
    tree = {"op": "or", "items": [cond(field="tag", op="has", value="vip"),
                                  {"op": "and", "items": [cond(field="status", op="in", value=["lost", "lost"])]}]}
    assert validate_definition(tree, known_rules=set()) == {
        "op": "or", "items": [cond(field="tag", op="has", value="vip"),
                              {"op": "and", "items": [cond(field="status", op="in", value=["lost"])]}],
    }


@pytest.mark.parametrize("item, message", [
    ({"type": "score", "op": "gt", "value": 5},
     'items[0].op: \'gt\' is not a score operator; use "gte" (at least) or "lte" (at most).'),
    ({"type": "score", "op": "gte", "value": "50"}, "items[0].value: '50' is not a score from -1000000 to 1000000."),
    ({"type": "score", "op": "gte", "value": True}, "items[0].value: True is not a score from -1000000 to 1000000."),
])
def test_score_conditions_are_checked(item, message):
    assert _errors({"op": "and", "items": [item]}) == [message]
