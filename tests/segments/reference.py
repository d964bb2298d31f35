"""A plain-Python reference evaluator for segment rule trees: one contact at a time.

Deliberately naive and independent of the compiler: it reads the contact's
values, events and contracts as loaded objects. The property test compares
its answer with the compiled query's.
"""
from datetime import date, timedelta

from contacts.consent import BUSINESS_CARD_SOURCES
from contacts.models import ConsentState, ContractStatus
from dormancy.rules import explain_membership, is_member


def evaluate(tree, contact, *, facts, today, tz, rules=None):
    if "items" in tree:
        results = [evaluate(item, contact, facts=facts, today=today, tz=tz, rules=rules) for item in tree["items"]]
        return all(results) if tree["op"] == "and" else any(results)
    kind = tree["type"]
    if kind == "attribute":
        return _attribute(tree, contact, facts, today, tz)
    if kind == "behaviour":
        return _behaviour(tree, facts, today, tz)
    if kind == "dormant_days":
        last = today - timedelta(days=tree["min_days"])
        if contact.last_touch_at is not None:
            return contact.last_touch_at.astimezone(tz).date() <= last
        known = contact.acquired_at or contact.created_at.astimezone(tz).date()
        return known <= last
    if kind == "lapse":
        for contract in facts["contracts"]:
            if "expiring_within_days" in tree:
                if contract.status == ContractStatus.ACTIVE and \
                        today <= contract.expires_at <= today + timedelta(days=tree["expiring_within_days"]):
                    return True
            elif contract.status in (ContractStatus.ACTIVE, ContractStatus.LAPSED) and \
                    today - timedelta(days=tree["lapsed_within_days"]) <= contract.expires_at < today:
                return True
        return False
    if kind == "consent":
        return _can_receive_marketing(contact) == tree["can_receive_marketing"]
    if kind == "score":
        score = facts.get("score", 0)
        return score >= tree["value"] if tree["op"] == "gte" else score <= tree["value"]
    if kind == "dormancy":
        return is_member(explain_membership(rules[tree["rule"]], contact, today=today, tz=tz))
    raise AssertionError(kind)


def _can_receive_marketing(contact):
    """Opted in, or no consent recorded but a business-card exchange as its source (case-insensitive prefix)."""
    if contact.consent == ConsentState.OPT_IN:
        return True
    source = contact.consent_source.lower()
    return contact.consent == ConsentState.NONE and any(source.startswith(prefix) for prefix in BUSINESS_CARD_SOURCES)


def _actual(field, contact, facts):
    if field.startswith("attribute:"):
        return (contact.attributes or {}).get(field[len("attribute:"):])
    if field.startswith("company."):
        return getattr(contact.company, field[len("company."):]) if contact.company else None
    if field == "owner":
        return contact.owner_id
    if field == "tag":
        return facts["tags"]
    return getattr(contact, field)


def _days(op, value, today):
    if op == "before":
        return None, date.fromisoformat(value) - timedelta(days=1)
    if op == "after":
        return date.fromisoformat(value) + timedelta(days=1), None
    if op == "between":
        return date.fromisoformat(value[0]), date.fromisoformat(value[1])
    if op == "within_last_days":
        return today - timedelta(days=value), today
    return None, today - timedelta(days=value + 1)  # more_than_days_ago


def _attribute(cond, contact, facts, today, tz):
    field, op, value = cond["field"], cond["op"], cond.get("value")
    actual = _actual(field, contact, facts)
    if field == "tag":
        return (value in actual) == (op == "has")
    if op in ("is_empty", "is_not_empty"):
        return (actual is None or actual == "") == (op == "is_empty")
    if op == "is_true":
        return actual is True
    if op == "is_false":
        return actual is False
    if op == "not_equals":
        return not (actual is not None and actual == value)
    if actual is None:
        return False
    if op == "equals":
        return actual == value
    if op == "in":
        return actual in value
    if op == "contains":
        return value.lower() in actual.lower()
    if op == "starts_with":
        return actual.lower().startswith(value.lower())
    if op == "gt":
        return actual > value
    if op == "lt":
        return actual < value
    if op == "between" and isinstance(value[0], int):
        return value[0] <= actual <= value[1]
    day = actual.astimezone(tz).date() if hasattr(actual, "astimezone") else actual
    first, last = _days(op, value, today)
    return (first is None or day >= first) and (last is None or day <= last)


def _behaviour(cond, facts, today, tz):
    count = 0
    for event in facts["events"]:
        if event.kind != cond["kind"] or event.flagged_as_bot:
            continue
        day = event.occurred_at.astimezone(tz).date()
        if "within_days" in cond and not today - timedelta(days=cond["within_days"]) <= day <= today:
            continue
        if "between" in cond and not (date.fromisoformat(cond["between"][0]) <= day
                                      <= date.fromisoformat(cond["between"][1])):
            continue
        if cond.get("url_contains") and cond["url_contains"].lower() not in event.url.lower():
            continue
        count += 1
    high = cond.get("max_count")
    low = cond.get("min_count") or (0 if high is not None else 1)
    did = count >= low and (high is None or count <= high)
    return did == cond["did"]
