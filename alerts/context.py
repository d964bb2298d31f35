"""What a rep needs before calling, built once when an alert fires and stored on it as plain JSON.

Set-based for a whole batch: a handful of queries whatever the number of
alerts; reads stored facts only (contacts, contracts, scores, the touches of
the batch itself), never the event history. Values are raw (kinds, ISO times,
codes): the pages translate them when they show them.
"""
from datetime import datetime, timedelta

from contacts.models import Contact, Contract, TouchEvent
from dormancy.models import DormancyMembership
from scoring.models import ContactScore

VISIT_LIMIT = 20
CONTRACT_LIMIT = 5
# Touches this close before the batch belong to the same visit (a visit is shown whole, not batch by batch).
VISIT_GAP = timedelta(minutes=30)


def _iso(value):
    return value.isoformat() if value is not None else None


def _person(user):
    if user is None:
        return None
    return {"id": user.pk, "name": user.get_full_name() or user.username, "email": user.email}


def contexts_build(contact_ids, *, touches_by_contact, reasons=None):
    """{contact_id: context} for these contacts.

    `touches_by_contact`: {contact_id: [touch dicts of this batch]} (may be
    empty for score and rescue alerts); `reasons`: {contact_id: why-dict}.
    Without reasons, the contexts carry no "why" yet: a batch that fires
    several triggers for the same contacts builds them once and gives each
    alert its own with `context_with_reason`.
    """
    ids = sorted(set(contact_ids))
    contacts = Contact.objects.select_related("company", "owner").in_bulk(ids)
    contracts = {}
    for contract in Contract.objects.filter(contact_id__in=ids).order_by("contact_id", "-expires_at", "id"):
        rows = contracts.setdefault(contract.contact_id, [])
        if len(rows) < CONTRACT_LIMIT:
            rows.append({"id": contract.external_id, "plan": contract.plan, "expires_at": _iso(contract.expires_at),
                         "status": contract.status})
    scores = dict(ContactScore.objects.filter(contact_id__in=ids).values_list("contact_id", "score"))
    visits = _visits(touches_by_contact, ids)
    # Dormancy reasons: the rules the contact was found dormant by (came-back alerts), else its stored
    # memberships at this moment (the facts chain may already have moved them; they are context, not a test).
    dormant_by = {}
    for contact_id, name in (DormancyMembership.objects.filter(contact_id__in=ids, rule__is_active=True)
                             .order_by("rule__name").values_list("contact_id", "rule__name")):
        dormant_by.setdefault(contact_id, []).append(name)
    built = {}
    for contact_id in ids:
        contact = contacts.get(contact_id)
        if contact is None:
            continue
        touches = sorted(touches_by_contact.get(contact_id, []), key=lambda touch: touch["occurred_at"])
        previous = min((touch["previous_touch_at"] for touch in touches if touch.get("previous_touch_at")),
                       default=None)
        first_at = touches[0]["occurred_at"] if touches else None
        campaign = next((touch["detail"] for touch in reversed(touches)
                         if touch["kind"] in ("email_click", "email_open") and touch.get("detail")), "")
        built[contact_id] = {
            "why": {},
            "contact": {
                "name": contact.full_name or contact.email, "email": contact.email, "phone": contact.phone,
                "title": contact.title, "company": contact.company.name if contact.company else "",
                "status": contact.status, "lost_reason": contact.lost_reason, "deal_stage": contact.deal_stage,
                "deal_stage_changed_at": _iso(contact.deal_stage_changed_at),
            },
            "owner": _person(contact.owner),
            "visit": visits.get(contact_id) or [
                {"kind": touch["kind"], "url": touch.get("url", ""), "detail": touch.get("detail", ""),
                 "at": touch["occurred_at"]} for touch in touches[:VISIT_LIMIT]],
            "previous_touch_at": previous,
            "silent_days": _days_between(previous, first_at),
            "campaign": campaign,
            "dormant_by": dormant_by.get(contact_id, []),
            "contracts": contracts.get(contact_id, []),
            "score": round(scores.get(contact_id, 0.0), 1),
        }
    if reasons is None:
        return built
    return {contact_id: context_with_reason(context, reasons.get(contact_id, {}))
            for contact_id, context in built.items()}


def context_with_reason(context, why):
    """One alert's context: the contact's shared one with this trigger's reason; a came-back alert names the
    rules the contact was found dormant by, the others its stored memberships."""
    return {**context, "why": why, "dormant_by": why.get("rules") or context["dormant_by"]}


def _visits(touches_by_contact, ids):
    """{contact_id: [touch]}: the batch's touches with those just before them (within VISIT_GAP), oldest first.

    One query over the (contact, kind, occurred_at) index for the whole batch,
    bounded in rows: context for the rep, not trigger evaluation.
    """
    starts = {}
    for contact_id in ids:
        times = [datetime.fromisoformat(t["occurred_at"]) for t in touches_by_contact.get(contact_id, [])]
        if times:
            starts[contact_id] = (min(times) - VISIT_GAP, max(times))
    if not starts:
        return {}
    earliest = min(start for start, _end in starts.values())
    rows = (TouchEvent.objects.filter(contact_id__in=list(starts), occurred_at__gte=earliest, flagged_as_bot=False)
            .order_by("contact_id", "-occurred_at").values_list("contact_id", "kind", "url", "detail", "occurred_at")
            [: VISIT_LIMIT * 3 * len(starts)])
    found = {}
    for contact_id, kind, url, detail, at in rows:
        start, end = starts[contact_id]
        visit = found.setdefault(contact_id, [])
        if start <= at <= end and len(visit) < VISIT_LIMIT:
            visit.append({"kind": kind, "url": url, "detail": detail, "at": at.isoformat()})
    return {contact_id: sorted(visit, key=lambda t: t["at"]) for contact_id, visit in found.items()}


def _days_between(earlier, later):
    if not earlier or not later:
        return None
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).days
