"""The compiled query, the explanation and a plain-Python reference agree on generated data.

The reference below reads the raw events (not the stored summaries) and
re-states the product's rule from PRODUCT.md in the simplest Python, so a
mistake in the summary maintenance, the SQL or the explanation shows up as a
difference in membership.
"""
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest

from contacts.models import Company, Contact, ContactStatus, ContactTouchSummary, LostReason, TouchEvent, TouchKind
from contacts.services import event_fingerprint, touch_summaries_refresh
from dormancy.rules import dormant_as_of_q, dormant_q, explain_membership, is_member
from dormancy.services import dormancy_rule_create

from .conftest import TODAY, TOKYO, UTC

INDUSTRIES = ["製造", "小売", "IT"]
PRODUCT_LINES = ["ERP", "POS", "CRM"]


@dataclass
class Event:
    kind: str
    at: datetime
    bot: bool


AS_OF = date(2025, 8, 15)
THRESHOLDS = [0, 30, 90, 180, 200, 365]
# Days right at each threshold, counted back from today and from the as-of
# date: where an off-by-one would show.
NEAR_BOUNDARIES = sorted({
    (start - TODAY).days - days + shift
    for start in (TODAY, AS_OF) for days in THRESHOLDS for shift in (-1, 0, 1)
}, reverse=True)


def _random_date(rng, days_back):
    if rng.random() < 0.6:
        return TODAY + timedelta(days=rng.choice(NEAR_BOUNDARIES))
    return TODAY - timedelta(days=rng.randint(0, days_back))


def _random_datetime(rng, days_back):
    # Half the events land within two hours of Tokyo midnight (15:00 UTC) to
    # exercise the calendar boundary; the rest anywhere in the day.
    day = datetime.combine(_random_date(rng, days_back), datetime.min.time(), tzinfo=UTC)
    if rng.random() < 0.5:
        return day + timedelta(hours=14, minutes=rng.choice([59, 60, rng.randint(0, 120)]))
    return day + timedelta(minutes=rng.randint(0, 1439))


def generate_contacts(rng, count, users):
    companies = [
        Company.objects.create(name=f"Co {i}", industry=industry, employee_count=rng.choice([None, 10, 80, 300]))
        for i, industry in enumerate(INDUSTRIES * 2)
    ]
    contacts, events = [], {}
    for number in range(count):
        contact = Contact.objects.create(
            email=f"gen{number}@example.com",
            company=rng.choice([None, *companies]),
            owner=rng.choice([None, *users]),
            title=rng.choice(["", "部長", "担当"]),
            status=rng.choice(ContactStatus.values),
            lost_reason=rng.choice(["", *LostReason.values]),
            deal_stage_changed_at=rng.choice([None, _random_date(rng, 400)]),
            acquired_at=rng.choice([None, _random_date(rng, 600)]),
            attributes=rng.choice([{}, {"product_line": rng.choice(PRODUCT_LINES)}]),
        )
        created = datetime.combine(_random_date(rng, 700), datetime.min.time(), tzinfo=UTC) + timedelta(
            hours=rng.choice([1, 14, 15, 16, 23]))
        Contact.objects.filter(pk=contact.pk).update(created_at=created)
        contact.created_at = created
        events[contact.pk] = [
            Event(rng.choice(TouchKind.values), _random_datetime(rng, 500), rng.random() < 0.15)
            for _ in range(rng.choice([0, 0, 1, 2, 3, 6]))
        ]
        contacts.append(contact)
    TouchEvent.objects.bulk_create([
        TouchEvent(contact_id=pk, kind=e.kind, occurred_at=e.at, flagged_as_bot=e.bot,
                   fingerprint=event_fingerprint(contact_id=pk, kind=e.kind, occurred_at=e.at, detail=str(n)))
        for pk, contact_events in events.items() for n, e in enumerate(contact_events)
    ])
    touch_summaries_refresh(contact_ids=[c.pk for c in contacts])
    return contacts, events


def generate_rule(rng, number, users):
    kinds = TouchKind.values if rng.random() < 0.4 else rng.sample(TouchKind.values, rng.randint(1, 4))
    items = rng.sample([
        {"type": "lost"},
        {"type": "deal_stage_unchanged_days", "days": rng.choice([30, 90, 200])},
        {"type": "status_in", "values": rng.sample(ContactStatus.values, rng.randint(1, 3))},
    ], rng.randint(0, 3))
    scope_options = [
        {"field": "industry", "op": "in", "value": rng.sample(INDUSTRIES, 2)},
        {"field": "status", "op": "eq", "value": rng.choice(ContactStatus.values)},
        {"field": "lost_reason", "op": "in", "value": rng.sample(LostReason.values, 2)},
        {"field": "owner", "op": "eq", "value": rng.choice(users).pk},
        {"field": "title", "op": "eq", "value": "部長"},
        {"field": "company_size_min", "op": "eq", "value": 50},
        {"field": "company_size_max", "op": "eq", "value": 100},
        {"field": "attribute:product_line", "op": "in", "value": rng.sample(PRODUCT_LINES, 2)},
    ]
    scope = rng.sample(scope_options, rng.choice([0, 0, 1, 2]))
    return dormancy_rule_create(
        name=f"Generated {number}", slug=f"generated-{number}", user=None,
        inactivity_days=rng.choice([30, 90, 180, 365]), touch_kinds=list(kinds),
        conditions={"match": rng.choice(["any", "all"]), "items": items}, scope=scope,
    )


def reference_member(rule, contact, events, *, today, tz, as_of=None):
    """PRODUCT.md in plain Python, from the raw events.

    Today's membership counts every touch held (one stamped a little in the
    future still means "not silent"); an as-of membership only those on or
    before that day.
    """
    horizon = as_of or today
    counted = [e.at.astimezone(tz).date() for e in events
               if e.kind in rule.touch_kinds and not e.bot and (as_of is None or e.at.astimezone(tz).date() <= as_of)]
    known_since = contact.acquired_at or contact.created_at.astimezone(tz).date()
    last_touch = max(counted) if counted else known_since
    if (horizon - last_touch).days < rule.inactivity_days:
        return False
    results = []
    for item in rule.conditions["items"]:
        if item["type"] == "lost":
            results.append(contact.status == "lost")
        elif item["type"] == "status_in":
            results.append(contact.status in item["values"])
        else:
            stage_since = contact.deal_stage_changed_at or known_since
            results.append((horizon - stage_since).days >= item["days"])
    if results and not (any(results) if rule.conditions["match"] == "any" else all(results)):
        return False
    for item in rule.scope:
        field, value = item["field"], item["value"]
        company = contact.company
        actual = {
            "industry": company.industry if company else None,
            "company_size_min": company.employee_count if company else None,
            "company_size_max": company.employee_count if company else None,
            "owner": contact.owner_id,
            "attribute:product_line": contact.attributes.get("product_line"),
        }.get(field, getattr(contact, field, None))
        if actual is None:
            return False
        if field == "company_size_min":
            ok = actual >= value
        elif field == "company_size_max":
            ok = actual <= value
        else:
            ok = actual == value if item["op"] == "eq" else actual in value
        if not ok:
            return False
    return True


@pytest.mark.parametrize("seed", [20251201, 7, 42])
def test_query_explanation_and_reference_agree_on_generated_contacts(db, seed, rep, other_rep):
    rng = random.Random(seed)
    users = [rep, other_rep]
    contacts, events = generate_contacts(rng, 200, users)
    contacts = list(Contact.objects.select_related("company").filter(pk__in=[c.pk for c in contacts]))
    touches = {}
    for contact_id, kind, last_at in ContactTouchSummary.objects.values_list("contact_id", "kind", "last_at"):
        touches.setdefault(contact_id, {})[kind] = last_at
    as_of = AS_OF
    nonempty = 0
    for number in range(12):
        rule = generate_rule(rng, number, users)
        expected = {c.pk for c in contacts if reference_member(rule, c, events[c.pk], today=TODAY, tz=TOKYO)}
        queried = set(Contact.objects.filter(dormant_q(rule, today=TODAY, tz=TOKYO)).values_list("pk", flat=True))
        explained = {c.pk for c in contacts
                     if is_member(explain_membership(rule, c, today=TODAY, tz=TOKYO, touches=touches.get(c.pk, {})))}
        assert queried == expected, rule.definition()
        assert explained == expected, rule.definition()

        expected_then = {c.pk for c in contacts
                         if reference_member(rule, c, events[c.pk], today=TODAY, tz=TOKYO, as_of=as_of)}
        queried_then = set(
            Contact.objects.filter(dormant_as_of_q(rule, as_of=as_of, tz=TOKYO)).values_list("pk", flat=True)
        )
        assert queried_then == expected_then, rule.definition()
        nonempty += bool(expected) + bool(expected_then)
    # The generator must produce rules that select someone, or the test proves little.
    assert nonempty >= 6
