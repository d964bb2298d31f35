"""Validation of a rule definition: the allow-list between user JSON and SQL.

Only condition types, scope fields and operators named here exist; anything
else is refused with a message that says what was wrong and what is allowed.
Values are checked for type and, where the set is closed (statuses, lost
reasons, touch kinds), for membership.
"""
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from contacts.models import ContactStatus, LostReason, TouchKind
from dormancy.models.rule import ATTRIBUTE_PREFIX, ConditionMatch, ConditionType, ScopeField, ScopeOp

MAX_DAYS = 3650
MAX_ITEMS = 20
MAX_VALUES = 200
SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]{1,50}$")

FIELDS = ("name", "slug", "inactivity_days", "touch_kinds", "conditions", "scope", "is_active")
REQUIRED = ("name", "inactivity_days", "touch_kinds")

# Scope fields whose values come from a closed set.
# The choices' values, read once: Django rebuilds `.values` (and every label) on each access, and rules are
# cleaned on every alert evaluation.
TOUCH_KINDS, CONTACT_STATUSES = tuple(TouchKind.values), tuple(ContactStatus.values)
CONDITION_MATCHES, CONDITION_TYPES, SCOPE_FIELDS = (tuple(ConditionMatch.values), tuple(ConditionType.values),
                                                    tuple(ScopeField.values))
CLOSED_VALUES = {ScopeField.STATUS: CONTACT_STATUSES, ScopeField.LOST_REASON: tuple(LostReason.values)}
SIZE_FIELDS = (ScopeField.COMPANY_SIZE_MIN, ScopeField.COMPANY_SIZE_MAX)


def _listed(values):
    return ", ".join(str(v) for v in values)


def _is_whole(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_text(value):
    return isinstance(value, str)


def validate_rule_definition(data):
    """Return the cleaned definition or raise ValidationError keyed by field.

    Accepts the editable fields (and the slug); optional ones get defaults:
    no extra conditions, no scope, active.
    """
    if not isinstance(data, dict):
        raise ValidationError(_("A rule definition must be an object."))
    errors = {}
    for key in data:
        if key not in FIELDS:
            errors.setdefault(key, []).append(_('Unknown field "%(field)s".') % {"field": key})
    for key in REQUIRED:
        if key not in data:
            errors.setdefault(key, []).append(_("This field is required."))
    cleaned = {}
    checks = {
        "name": _clean_name, "slug": _clean_slug, "inactivity_days": _clean_inactivity_days,
        "touch_kinds": _clean_touch_kinds, "conditions": _clean_conditions, "scope": _clean_scope,
        "is_active": _clean_is_active,
    }
    defaults = {"conditions": {"match": ConditionMatch.ANY.value, "items": []}, "scope": [], "is_active": True}
    for key, check in checks.items():
        if key not in data:
            if key in defaults:
                cleaned[key] = defaults[key]
            continue
        problems = []
        cleaned[key] = check(data[key], problems)
        if problems:
            errors.setdefault(key, []).extend(problems)
    if errors:
        raise ValidationError(errors)
    return cleaned


def clean_definition(rule):
    """A stored rule's definition, re-checked: builders never trust raw JSON."""
    return validate_rule_definition(rule.definition())


def _clean_name(value, problems):
    if not isinstance(value, str) or not value.strip():
        problems.append(_("Give the rule a name."))
        return value
    if len(value.strip()) > 200:
        problems.append(_("The name is longer than 200 characters."))
    return value.strip()


def _clean_slug(value, problems):
    if not isinstance(value, str) or not SLUG_RE.match(value):
        problems.append(_("The slug may hold only letters, digits, hyphens and underscores (1–50 characters)."))
    return value


def _clean_days(value, problems, label):
    if not _is_whole(value) or not 1 <= value <= MAX_DAYS:
        problems.append(
            _("%(label)s must be a whole number of days from 1 to %(max)d, not %(value)r.")
            % {"label": label, "max": MAX_DAYS, "value": value}
        )
    return value


def _clean_inactivity_days(value, problems):
    return _clean_days(value, problems, _("The inactivity threshold"))


def _clean_is_active(value, problems):
    if not isinstance(value, bool):
        problems.append(_("Active must be true or false."))
    return value


def _clean_touch_kinds(value, problems):
    if not isinstance(value, list) or not value:
        problems.append(_("Pick at least one touch kind that counts as a touch."))
        return value
    unknown = [kind for kind in value if kind not in TOUCH_KINDS]
    for kind in unknown:
        problems.append(
            _('Unknown touch kind "%(kind)s". Known kinds: %(known)s.')
            % {"kind": kind, "known": _listed(TOUCH_KINDS)}
        )
    if unknown:
        return value
    # Canonical order, no duplicates: equal definitions compare equal.
    return [kind for kind in TOUCH_KINDS if kind in value]


def _clean_conditions(value, problems):
    if not isinstance(value, dict) or set(value) - {"match", "items"}:
        problems.append(_('Conditions must be an object with "match" ("any" or "all") and "items".'))
        return value
    match = value.get("match", ConditionMatch.ANY.value)
    if match not in CONDITION_MATCHES:
        problems.append(_('Unknown match "%(match)s"; use "any" or "all".') % {"match": match})
    items = value.get("items", [])
    if not isinstance(items, list) or len(items) > MAX_ITEMS:
        problems.append(_("Condition items must be a list of at most %(max)d conditions.") % {"max": MAX_ITEMS})
        return value
    cleaned = [_clean_condition(position, item, problems) for position, item in enumerate(items, start=1)]
    return {"match": match, "items": cleaned}


def _clean_condition(position, item, problems):
    where = _("Condition %(n)d") % {"n": position}
    if not isinstance(item, dict):
        problems.append(_("%(where)s must be an object.") % {"where": where})
        return item
    kind = item.get("type")
    if kind not in CONDITION_TYPES:
        problems.append(
            _('%(where)s: unknown condition type "%(type)s". Known types: %(known)s.')
            % {"where": where, "type": kind, "known": _listed(CONDITION_TYPES)}
        )
        return item
    allowed = {ConditionType.STATUS_IN: {"type", "values"}, ConditionType.DEAL_STAGE_UNCHANGED_DAYS: {"type", "days"},
               ConditionType.LOST: {"type"}}[kind]
    for key in sorted(set(item) - allowed):
        problems.append(_('%(where)s: unexpected key "%(key)s".') % {"where": where, "key": key})
    if kind == ConditionType.STATUS_IN:
        values = _clean_value_list(item.get("values"), problems, where, CONTACT_STATUSES, _("status"))
        return {"type": kind, "values": values}
    if kind == ConditionType.DEAL_STAGE_UNCHANGED_DAYS:
        label = _("%(where)s: the deal stage age") % {"where": where}
        return {"type": kind, "days": _clean_days(item.get("days"), problems, label)}
    return {"type": kind}


def _clean_value_list(values, problems, where, known, label):
    if not isinstance(values, list) or not values or len(values) > MAX_VALUES:
        problems.append(
            _("%(where)s needs a list of 1 to %(max)d values.") % {"where": where, "max": MAX_VALUES}
        )
        return values
    unknown = [value for value in values if value not in known]
    for value in unknown:
        problems.append(
            _('%(where)s: unknown %(label)s "%(value)s". Known values: %(known)s.')
            % {"where": where, "label": label, "value": value, "known": _listed(known)}
        )
    return values if unknown else list(dict.fromkeys(values))


def _clean_scope(value, problems):
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        problems.append(_("The scope must be a list of at most %(max)d attribute conditions.") % {"max": MAX_ITEMS})
        return value
    return [_clean_scope_item(position, item, problems) for position, item in enumerate(value, start=1)]


def attribute_key(field):
    """The custom attribute key of an `attribute:<key>` field, else None."""
    if isinstance(field, str) and field.startswith(ATTRIBUTE_PREFIX):
        return field[len(ATTRIBUTE_PREFIX):]
    return None


def _clean_scope_item(position, item, problems):
    where = _("Scope %(n)d") % {"n": position}
    if not isinstance(item, dict) or set(item) != {"field", "op", "value"}:
        problems.append(_('%(where)s must be an object with "field", "op" and "value".') % {"where": where})
        return item
    field, op, value = item["field"], item["op"], item["value"]
    key = attribute_key(field)
    if key is not None:
        if not key or len(key) > 100 or key.isdigit() or not key.isprintable():
            problems.append(
                _('%(where)s: "%(key)s" is not a usable custom attribute name.') % {"where": where, "key": key}
            )
    elif field not in SCOPE_FIELDS:
        problems.append(
            _('%(where)s: unknown field "%(field)s". Known fields: %(known)s, attribute:<name>.')
            % {"where": where, "field": field, "known": _listed(SCOPE_FIELDS)}
        )
        return item
    if op not in ScopeOp.values:
        problems.append(_('%(where)s: unknown operator "%(op)s"; use "eq" or "in".') % {"where": where, "op": op})
        return item
    if field in SIZE_FIELDS:
        if op != ScopeOp.EQ or not _is_whole(value) or value < 0:
            problems.append(
                _('%(where)s: %(field)s takes "eq" with a whole number of employees.')
                % {"where": where, "field": field}
            )
        return {"field": field, "op": op, "value": value}
    if field == ScopeField.OWNER:
        check, label = _is_whole, _("a user id")
    else:
        check, label = _is_text, _("text")
    if op == ScopeOp.EQ:
        values = [value]
    elif isinstance(value, list) and value and len(value) <= MAX_VALUES:
        values = value
    else:
        problems.append(_('%(where)s: "in" needs a list of 1 to %(max)d values.') % {"where": where, "max": MAX_VALUES})
        return item
    bad = []
    for single in values:
        if not check(single):
            bad.append(_("%(where)s: %(value)r is not %(label)s.") % {"where": where, "value": single, "label": label})
        elif field in CLOSED_VALUES and single not in CLOSED_VALUES[field]:
            bad.append(
                _('%(where)s: unknown %(field)s "%(value)s". Known values: %(known)s.')
                % {"where": where, "field": field, "value": single, "known": _listed(CLOSED_VALUES[field])}
            )
    problems.extend(bad)
    if op == ScopeOp.IN and not bad:
        value = list(dict.fromkeys(values))
    return {"field": field, "op": op, "value": value}
