"""Rule tree → one Django Q on contacts, with every value a bound parameter.

Field names and operators select ORM paths and lookups from fixed tables in
`fields.py`; user text only ever travels as a parameter (a custom attribute
key too: `->> %s`). Calendar arithmetic is in the workspace zone: a date on
a timestamp column becomes a half-open range of instants, so no per-row
conversion runs and the indexes stay usable.

Text semantics: a missing value (no company, no such attribute) and "" are
both empty; "does not equal" and "is not one of" hold for empty values;
contains / starts with ignore case.
"""
from datetime import date, timedelta

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import (
    Exact,
    GreaterThanOrEqual,
    IContains,
    In,
    IsNull,
    IStartsWith,
    LessThanOrEqual,
)

from contacts.consent import legal_basis_q
from contacts.models import Contact, Contract, ContractStatus, TouchEvent
from contacts.rules import start_of_day
from contacts.selectors import silent_q

from .fields import ATTRIBUTE_PREFIX, BOOL, CHOICE, DATE, DATETIME, FIELDS, NUMBER, TAG, TEXT, USER, field_type

ONE_DAY = timedelta(days=1)
_EXPRESSION_LOOKUPS = {"exact": Exact, "in": In, "icontains": IContains, "istartswith": IStartsWith,
                       "isnull": IsNull}


def segment_q(definition, *, today, tz, rules=None):
    """Filter for `Contact.objects.filter(...)`: the members of a *validated* rule tree on `today`.

    `rules` maps dormancy rule slug → DormancyRule; rules the tree names and
    `rules` lacks are loaded (one query).
    """
    slugs = set(dormancy_slugs(definition))
    rules = dict(rules or {})
    if slugs - set(rules):
        from dormancy.models import DormancyRule

        rules.update({rule.slug: rule for rule in DormancyRule.objects.filter(slug__in=slugs - set(rules))})
    return _group_q(definition, _Context(today, tz, rules))


def dormancy_slugs(node):
    if "items" in node:
        for item in node["items"]:
            yield from dormancy_slugs(item)
    elif node.get("type") == "dormancy":
        yield node["rule"]


# Conditions whose answer can change when a contact gets a new touch (the
# score follows touches too); the others read attributes and contracts only.
TOUCH_CONDITIONS = {"behaviour", "dormancy", "dormant_days", "score"}
TOUCH_FIELDS = {"last_touch_at"}


def depends_on_touches(node):
    """Whether a new touch can move a contact in or out of this (validated) tree."""
    if "items" in node:
        return any(depends_on_touches(item) for item in node["items"])
    return node.get("type") in TOUCH_CONDITIONS or (
        node.get("type") == "attribute" and node.get("field") in TOUCH_FIELDS)


class _Context:
    def __init__(self, today, tz, rules):
        self.today, self.tz, self.rules = today, tz, rules

    def midnight(self, day):
        return start_of_day(day, self.tz)


def _group_q(group, ctx):
    parts = [_group_q(item, ctx) if "items" in item else _condition_q(item, ctx) for item in group["items"]]
    combined = parts[0]
    for part in parts[1:]:
        combined = combined & part if group["op"] == "and" else combined | part
    return combined


def _condition_q(item, ctx):
    kind = item["type"]
    if kind == "attribute":
        return _attribute_q(item, ctx)
    if kind == "behaviour":
        return _behaviour_q(item, ctx)
    if kind == "dormancy":
        from dormancy.rules import dormant_q

        return dormant_q(ctx.rules[item["rule"]], today=ctx.today, tz=ctx.tz)
    if kind == "dormant_days":
        return silent_q(days=item["min_days"], today=ctx.today, tz=ctx.tz)
    if kind == "lapse":
        return Q(Exists(lapse_contracts(item, today=ctx.today).filter(contact=OuterRef("pk"))))
    if kind == "consent":
        # The sender's own definition (opt-in, or a business-card exchange on record), so a segment
        # of contacts that "can receive marketing mail" is the one the claim will send to.
        basis = legal_basis_q()
        return basis if item["can_receive_marketing"] else ~basis
    if kind == "score":
        return _score_q(item["op"], item["value"])
    raise ValueError(f"unknown condition type {kind!r}")


def _score_q(op, value):
    """The stored score (scoring.ContactScore, reverse name "score"); no row is a score of 0."""
    stored = Q(score__score__gte=value) if op == "gte" else Q(score__score__lte=value)
    no_row_counts = value <= 0 if op == "gte" else value >= 0
    return stored | Q(score__isnull=True) if no_row_counts else stored


def lapse_contracts(item, *, today):
    """Contracts behind a lapse condition: expiring from today through today + N, or lapsed in [today − N, today)."""
    if "expiring_within_days" in item:
        return Contract.objects.filter(status=ContractStatus.ACTIVE, expires_at__gte=today,
                                       expires_at__lte=today + timedelta(days=item["expiring_within_days"]))
    return Contract.objects.filter(status__in=[ContractStatus.ACTIVE, ContractStatus.LAPSED],
                                   expires_at__gte=today - timedelta(days=item["lapsed_within_days"]),
                                   expires_at__lt=today)


def _attribute_q(item, ctx):
    field, op, value = item["field"], item["op"], item.get("value")
    kind = field_type(field)
    if field.startswith(ATTRIBUTE_PREFIX):
        # The key travels as a bound parameter (->> %s), never as SQL text.
        expression = Cast(KeyTextTransform(field[len(ATTRIBUTE_PREFIX):], "attributes"), output_field=TextField())
        return _text_q(lambda lookup, v: Q(_EXPRESSION_LOOKUPS[lookup](expression, v)), op, value)
    path = FIELDS[field][1]
    if kind == TEXT:
        return _text_q(lambda lookup, v: Q(**{f"{path}__{lookup}": v}), op, value)
    if kind == NUMBER:
        return _number_q(path, op, value)
    if kind == DATE:
        return _date_q(path, op, value, ctx)
    if kind == DATETIME:
        return _datetime_q(path, op, value, ctx)
    if kind == BOOL:
        return Q(**{path: op == "is_true"})
    if kind == CHOICE:
        return Q(**{path: value}) if op == "equals" else Q(**{f"{path}__in": value})
    if kind == USER:
        if op == "is_empty":
            return Q(owner__isnull=True)
        return Q(owner_id=value) if op == "equals" else Q(owner_id__in=value)
    if kind == TAG:
        tagged = Q(Exists(Contact.tags.through.objects.filter(contact_id=OuterRef("pk"), tag__name=value)))
        return tagged if op == "has" else ~tagged
    raise ValueError(f"unknown field type {kind!r}")


def _text_q(lookup, op, value):
    empty = lookup("isnull", True) | lookup("exact", "")
    if op == "equals":
        return lookup("exact", value)
    if op == "not_equals":
        return ~lookup("exact", value) | lookup("isnull", True)
    if op == "in":
        return lookup("in", value)
    if op == "contains":
        return lookup("icontains", value)
    if op == "starts_with":
        return lookup("istartswith", value)
    if op == "is_empty":
        return empty
    if op == "is_not_empty":
        return lookup("isnull", False) & ~lookup("exact", "")
    raise ValueError(f"unknown text operator {op!r}")


def _number_q(path, op, value):
    if op == "is_empty":
        return Q(**{f"{path}__isnull": True})
    if op == "between":
        return Q(**{f"{path}__gte": value[0], f"{path}__lte": value[1]})
    suffix = {"equals": "", "gt": "__gt", "lt": "__lt"}[op]
    return Q(**{f"{path}{suffix}": value})


def _day_bounds(op, value, today):
    """(first, last) calendar days the operator admits; None for an open end."""
    if op == "before":
        return None, date.fromisoformat(value) - ONE_DAY
    if op == "after":
        return date.fromisoformat(value) + ONE_DAY, None
    if op == "between":
        return date.fromisoformat(value[0]), date.fromisoformat(value[1])
    if op == "within_last_days":
        return today - timedelta(days=value), today
    if op == "more_than_days_ago":
        return None, today - timedelta(days=value + 1)
    raise ValueError(f"unknown date operator {op!r}")


def _date_q(path, op, value, ctx):
    if op == "is_empty":
        return Q(**{f"{path}__isnull": True})
    first, last = _day_bounds(op, value, ctx.today)
    condition = Q(**{f"{path}__isnull": False})
    if first is not None:
        condition &= Q(**{f"{path}__gte": first})
    if last is not None:
        condition &= Q(**{f"{path}__lte": last})
    return condition


def _datetime_q(path, op, value, ctx):
    if op == "is_empty":
        return Q(**{f"{path}__isnull": True})
    first, last = _day_bounds(op, value, ctx.today)
    condition = Q(**{f"{path}__isnull": False})
    if first is not None:
        condition &= Q(**{f"{path}__gte": ctx.midnight(first)})
    if last is not None:
        condition &= Q(**{f"{path}__lt": ctx.midnight(last + ONE_DAY)})
    return condition


def behaviour_events(item, *, today, tz):
    """The counted (not bot-flagged) events a behaviour condition looks at, for OuterRef("pk")."""
    events = TouchEvent.objects.filter(contact=OuterRef("pk"), kind=item["kind"], flagged_as_bot=False)
    if "within_days" in item:
        events = events.filter(occurred_at__gte=start_of_day(today - timedelta(days=item["within_days"]), tz),
                               occurred_at__lt=start_of_day(today + ONE_DAY, tz))
    elif "between" in item:
        first, last = (date.fromisoformat(day) for day in item["between"])
        events = events.filter(occurred_at__gte=start_of_day(first, tz),
                               occurred_at__lt=start_of_day(last + ONE_DAY, tz))
    if item.get("url_contains"):
        events = events.filter(url__icontains=item["url_contains"])
    return events


def behaviour_bounds(item):
    """(min, max) number of events for "did"; at most N alone includes zero."""
    high = item.get("max_count")
    low = item.get("min_count") or (0 if high is not None else 1)
    return low, high


def _behaviour_q(item, ctx):
    events = behaviour_events(item, today=ctx.today, tz=ctx.tz)
    low, high = behaviour_bounds(item)
    if low <= 1 and high is None:
        did = Q(Exists(events)) if low == 1 else Q()
    else:
        counted = Coalesce(
            Subquery(events.order_by().values("contact").annotate(n=Count("id")).values("n")[:1]),
            0, output_field=IntegerField(),
        )
        did = Q(GreaterThanOrEqual(counted, low))
        if high is not None:
            did &= Q(LessThanOrEqual(counted, high))
    return did if item["did"] else ~did
