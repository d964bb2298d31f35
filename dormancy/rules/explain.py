"""Why a contact is (or is not) a member of a rule, clause by clause.

The same semantics as `query.py`, in Python over one contact, with the dates
and values that decided each clause. A contact is a member when every
top-level clause is ok; the "conditions" clause nests one item per condition.
"""
import json

from django.utils.translation import gettext as _

from contacts.models import ContactStatus, ContactTouchSummary, TouchKind
from dormancy.models.rule import ConditionMatch, ConditionType, ScopeField, ScopeOp

from .definition import attribute_key, clean_definition
from .query import last_silent_date


def is_member(clauses):
    return all(clause["ok"] for clause in clauses)


def explain_membership(rule, contact, *, today, tz, touches=None, definition=None):
    """List of {"clause", "ok", "text", "values"} for `contact` under `rule` on `today`.

    `touches` maps kind → latest counted touch (aware datetime); it is read
    from the contact's touch summary when not given. Scope on industry or
    company size reads `contact.company`: select it with the contact.
    `definition` is the rule's clean_definition, for a caller that asks
    about many contacts under the same rule (checked once, not per contact).
    """
    definition = definition or clean_definition(rule)
    if touches is None:
        touches = dict(ContactTouchSummary.objects.filter(contact=contact).values_list("kind", "last_at"))
    clauses = [_inactivity_clause(definition, contact, touches, today, tz)]
    if definition["conditions"]["items"]:
        clauses.append(_conditions_clause(definition["conditions"], contact, today, tz))
    clauses.extend(_scope_clause(item, contact) for item in definition["scope"])
    return clauses


def _known_since(contact, tz):
    """The contact's start date and where it came from (see contacts.rules.known_since_q)."""
    if contact.acquired_at is not None:
        return contact.acquired_at, "acquired"
    return contact.created_at.astimezone(tz).date(), "created"


def _inactivity_clause(definition, contact, touches, today, tz):
    threshold = definition["inactivity_days"]
    counted = [(at, kind) for kind, at in touches.items() if kind in definition["touch_kinds"]]
    if counted:
        last_at, kind = max(counted)
        day, source = last_at.astimezone(tz).date(), "touch"
    else:
        kind = None
        day, source = _known_since(contact, tz)
    days = (today - day).days
    ok = day <= last_silent_date(today, threshold)
    label = str(TouchKind(kind).label) if kind else ""
    params = {"date": day.isoformat(), "kind": label, "days": days, "threshold": threshold, "cmp": "≥" if ok else "<"}
    if source == "touch":
        text = _("last touch %(date)s (%(kind)s), %(days)d days ago %(cmp)s %(threshold)d") % params
    elif source == "acquired":
        text = _("no touch; acquired %(date)s, %(days)d days ago %(cmp)s %(threshold)d") % params
    else:
        text = _("no touch and no acquisition date; added %(date)s, %(days)d days ago %(cmp)s %(threshold)d") % params
    values = {"date": day.isoformat(), "source": source, "kind": kind, "days_ago": days, "threshold": threshold}
    return {"clause": "inactivity", "ok": ok, "text": text, "values": values}


def _status_label(value):
    """Explanations are read by people: show the status as the UI names it."""
    return ContactStatus(value).label if value in ContactStatus.values else value


def _conditions_clause(conditions, contact, today, tz):
    items = [_condition_clause(item, contact, today, tz) for item in conditions["items"]]
    if conditions["match"] == ConditionMatch.ANY:
        ok = any(item["ok"] for item in items)
        text = _("at least one condition holds") if ok else _("none of the conditions holds")
    else:
        ok = all(item["ok"] for item in items)
        text = _("all conditions hold") if ok else _("not every condition holds")
    return {"clause": "conditions", "ok": ok, "text": text, "values": {"match": conditions["match"]}, "items": items}


def _condition_clause(item, contact, today, tz):
    kind = item["type"]
    status = contact.status
    if kind == ConditionType.LOST:
        ok = status == ContactStatus.LOST
        text = _("status lost") if ok else _("status %(status)s, not lost") % {"status": _status_label(status)}
        return {"clause": kind, "ok": ok, "text": text, "values": {"status": status}}
    if kind == ConditionType.STATUS_IN:
        ok = status in item["values"]
        wanted = ", ".join(str(_status_label(value)) for value in item["values"])
        params = {"status": _status_label(status), "values": wanted}
        text = (_("status %(status)s is one of %(values)s") if ok else _("status %(status)s is not one of %(values)s"))
        return {"clause": kind, "ok": ok, "text": text % params, "values": {"status": status, "in": item["values"]}}
    threshold = item["days"]
    if contact.deal_stage_changed_at is not None:
        day, source = contact.deal_stage_changed_at, "stage_change"
    else:
        day, source = _known_since(contact, tz)
    days = (today - day).days
    ok = day <= last_silent_date(today, threshold)
    params = {"date": day.isoformat(), "days": days, "threshold": threshold, "cmp": "≥" if ok else "<"}
    if source == "stage_change":
        text = _("deal stage unchanged since %(date)s, %(days)d days %(cmp)s %(threshold)d") % params
    else:
        text = _("no deal stage change recorded; known since %(date)s, %(days)d days %(cmp)s %(threshold)d") % params
    values = {"date": day.isoformat(), "source": source, "days": days, "threshold": threshold}
    return {"clause": kind, "ok": ok, "text": text, "values": values}


def _json_text(value):
    """A custom attribute as PostgreSQL's ->> renders it (what the query compares)."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _scope_actual(field, contact):
    key = attribute_key(field)
    if key is not None:
        return _json_text((contact.attributes or {}).get(key))
    company = contact.company
    if field == ScopeField.INDUSTRY:
        return company.industry if company else None
    if field in (ScopeField.COMPANY_SIZE_MIN, ScopeField.COMPANY_SIZE_MAX):
        return company.employee_count if company else None
    if field == ScopeField.OWNER:
        return contact.owner_id
    return getattr(contact, field)


def _scope_clause(item, contact):
    field, op, wanted = item["field"], item["op"], item["value"]
    actual = _scope_actual(field, contact)
    if field == ScopeField.COMPANY_SIZE_MIN:
        ok, shown = actual is not None and actual >= wanted, f"≥ {wanted}"
    elif field == ScopeField.COMPANY_SIZE_MAX:
        ok, shown = actual is not None and actual <= wanted, f"≤ {wanted}"
    elif op == ScopeOp.EQ:
        ok, shown = actual is not None and actual == wanted, f"= {wanted}"
    else:
        ok = actual is not None and actual in wanted
        shown = _("in %(values)s") % {"values": ", ".join(map(str, wanted))}
    params = {"field": field, "actual": "—" if actual is None else actual, "wanted": shown}
    if ok:
        text = _("%(field)s is %(actual)s (rule: %(wanted)s)")
    else:
        text = _("%(field)s is %(actual)s, rule wants %(wanted)s")
    values = {"field": field, "actual": actual, "op": op, "wanted": wanted}
    return {"clause": "scope", "ok": ok, "text": text % params, "values": values}
