"""A rule definition in plain words, for people who never read its JSON."""
from django.utils.translation import gettext as _

from contacts.models import ContactStatus, LostReason, TouchKind
from dormancy.models.rule import ConditionMatch, ConditionType, ScopeField, ScopeOp

from .definition import attribute_key


def _labels(values, choices):
    names = dict(choices)
    return ", ".join(str(names.get(value, value)) for value in values)


def describe_definition(definition, *, owner_names=None):
    """{"inactivity", "touch_kinds", "match", "conditions", "scope"} as sentences.

    `definition` is a cleaned definition (a rule's or a version's snapshot);
    `owner_names` maps user ids to display names for an owner scope.
    """
    kinds = definition.get("touch_kinds") or []
    if set(kinds) == set(TouchKind.values):
        touch_kinds = _("Every kind of touch counts.")
    else:
        touch_kinds = _("Touches that count: %(kinds)s.") % {"kinds": _labels(kinds, TouchKind.choices)}
    conditions = definition.get("conditions") or {}
    items = conditions.get("items") or []
    match = None
    if items:
        match = (_("and all of these hold:") if conditions.get("match") == ConditionMatch.ALL
                 else _("and at least one of these holds:"))
    return {
        "inactivity": _("No counted touch for %(days)d days or more.") % {"days": definition["inactivity_days"]},
        "touch_kinds": touch_kinds,
        "match": match,
        "conditions": [describe_condition(item) for item in items],
        "scope": [describe_scope_item(item, owner_names or {}) for item in definition.get("scope") or []],
    }


def describe_condition(item):
    kind = item.get("type")
    if kind == ConditionType.LOST:
        return _("the deal was lost (status Lost)")
    if kind == ConditionType.DEAL_STAGE_UNCHANGED_DAYS:
        return _("the deal stage has not changed for %(days)d days or more") % {"days": item["days"]}
    if kind == ConditionType.STATUS_IN:
        return _("the status is one of: %(values)s") % {"values": _labels(item["values"], ContactStatus.choices)}
    return str(item)


def describe_scope_item(item, owner_names):
    field, op, value = item["field"], item["op"], item["value"]
    values = value if op == ScopeOp.IN else [value]
    key = attribute_key(field)
    if key is not None:
        label, shown = _("custom attribute “%(key)s”") % {"key": key}, ", ".join(map(str, values))
    elif field == ScopeField.COMPANY_SIZE_MIN:
        return _("the company has at least %(n)s employees") % {"n": value}
    elif field == ScopeField.COMPANY_SIZE_MAX:
        return _("the company has at most %(n)s employees") % {"n": value}
    elif field == ScopeField.STATUS:
        label, shown = _("status"), _labels(values, ContactStatus.choices)
    elif field == ScopeField.LOST_REASON:
        label, shown = _("lost reason"), _labels(values, LostReason.choices)
    elif field == ScopeField.OWNER:
        label, shown = _("owner"), ", ".join(owner_names.get(v, f"#{v}") for v in values)
    else:
        label, shown = str(ScopeField(field).label).lower(), ", ".join(map(str, values))
    if op == ScopeOp.IN and len(values) > 1:
        return _("%(field)s is one of: %(values)s") % {"field": label, "values": shown}
    return _("%(field)s is %(value)s") % {"field": label, "value": shown}
