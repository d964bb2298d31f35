"""Rule → one set-based filter on contacts.

The calendar arithmetic: "silent for N days or more" means the last-touch
date, in the workspace zone, is on or before `today − N` (the last silent
date). For a timestamp that is `last_at < midnight(today − N + 1)` there, so
no date conversion runs per row and the (kind, last_at) indexes stay usable.

A contact with no counted touch falls back to its acquisition date, and
without one to the date it was added to Rekindle, so a forgotten lead that
never had a touch still turns dormant instead of staying invisible.
"""
from datetime import timedelta

from django.db.models import Exists, OuterRef, Q, TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.db.models.lookups import Exact, In

from contacts.models import ContactStatus, ContactTouchSummary, TouchEvent, TouchKind
from contacts.rules import known_since_q, last_silent_date, start_of_day
from dormancy.models.rule import ConditionMatch, ConditionType, ScopeField, ScopeOp

from .definition import attribute_key, clean_definition

ONE_DAY = timedelta(days=1)


def dormant_q(rule, *, today, tz):
    """Filter for `Contact.objects.filter(...)`: the rule's members on `today`.

    Reads the stored latest touch per kind (ContactTouchSummary), or the
    contact's own last_touch_at when every kind counts, never the events.
    """
    definition = clean_definition(rule)
    last_date = last_silent_date(today, definition["inactivity_days"])
    kinds = definition["touch_kinds"]
    if set(kinds) == set(TouchKind.values):
        # Contact.last_touch_at is the max over all summary rows, kept current
        # with them: a plain column beats an anti-join at a million contacts.
        silent = Q(last_touch_at__lt=start_of_day(last_date + ONE_DAY, tz)) | (
            Q(last_touch_at__isnull=True) & known_since_q(last_date, tz)
        )
    else:
        counted = ContactTouchSummary.objects.filter(contact=OuterRef("pk"), kind__in=kinds)
        silent = _silent_q(counted, "last_at", last_date, tz)
    return silent & _conditions_q(definition, today, tz) & _scope_q(definition)


def dormant_as_of_q(rule, *, as_of, tz):
    """Members as they were on `as_of`, counting only touches on or before that day.

    The summary keeps only each kind's latest touch, so a past date reads the
    events (not bot-flagged, of the rule's kinds) through the
    (contact, kind, occurred_at) index. Status, deal stage and attributes are
    today's values: Rekindle keeps no history of them.
    """
    definition = clean_definition(rule)
    last_date = last_silent_date(as_of, definition["inactivity_days"])
    counted = TouchEvent.objects.filter(
        contact=OuterRef("pk"), kind__in=definition["touch_kinds"], flagged_as_bot=False,
        occurred_at__lt=start_of_day(as_of + ONE_DAY, tz),
    )
    silent = _silent_q(counted, "occurred_at", last_date, tz)
    # Cheap column tests first: where this lands in a SELECT list (the reports' per-contact flags), PostgreSQL
    # evaluates AND left to right and stops early, so contacts outside the conditions or scope skip the probes.
    return _conditions_q(definition, as_of, tz) & _scope_q(definition) & silent


def _silent_q(counted, time_field, last_date, tz):
    """No counted touch after `last_date`, and some touch or a known start before it."""
    recent = counted.filter(**{f"{time_field}__gte": start_of_day(last_date + ONE_DAY, tz)})
    return ~Exists(recent) & (known_since_q(last_date, tz) | Exists(counted))


def _conditions_q(definition, today, tz):
    items = definition["conditions"]["items"]
    if not items:
        return Q()
    parts = [_condition_q(item, today, tz) for item in items]
    combined = parts[0]
    for part in parts[1:]:
        combined = combined | part if definition["conditions"]["match"] == ConditionMatch.ANY else combined & part
    return combined


def _condition_q(item, today, tz):
    kind = item["type"]
    if kind == ConditionType.LOST:
        return Q(status=ContactStatus.LOST)
    if kind == ConditionType.STATUS_IN:
        return Q(status__in=item["values"])
    if kind == ConditionType.DEAL_STAGE_UNCHANGED_DAYS:
        # No stage change recorded: the stage has stood since the contact arrived.
        day = last_silent_date(today, item["days"])
        return Q(deal_stage_changed_at__lte=day) | (Q(deal_stage_changed_at__isnull=True) & known_since_q(day, tz))
    raise ValueError(f"unknown condition type {kind!r}")


# Scope field → the contact field it filters; the size bounds and custom
# attributes are handled on their own.
_SCOPE_PATHS = {
    ScopeField.INDUSTRY: "company__industry",
    ScopeField.STATUS: "status",
    ScopeField.LOST_REASON: "lost_reason",
    ScopeField.OWNER: "owner_id",
    ScopeField.TITLE: "title",
}


def _scope_q(definition):
    combined = Q()
    for item in definition["scope"]:
        combined &= _scope_item_q(item)
    return combined


def _scope_item_q(item):
    field, op, value = item["field"], item["op"], item["value"]
    key = attribute_key(field)
    if key is not None:
        # The key travels as a bound parameter (->> %s), never as SQL text.
        text = Cast(KeyTextTransform(key, "attributes"), output_field=TextField())
        return Q(Exact(text, value)) if op == ScopeOp.EQ else Q(In(text, value))
    if field == ScopeField.COMPANY_SIZE_MIN:
        return Q(company__employee_count__gte=value)
    if field == ScopeField.COMPANY_SIZE_MAX:
        return Q(company__employee_count__lte=value)
    path = _SCOPE_PATHS[field]
    return Q(**{path: value}) if op == ScopeOp.EQ else Q(**{f"{path}__in": value})
