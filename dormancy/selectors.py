"""Read-only queries on dormancy: members of a rule, and the rules a contact matches."""

from django.core.exceptions import ValidationError
from django.db.models import Count, F

from contacts.models import Contact, ContactTouchSummary
from contacts.rules import workspace_today, workspace_tz  # noqa: F401  (re-exported for callers)

from .models import DormancyRule
from .rules import dormant_as_of_q, dormant_q, explain_membership, is_member


def dormant_queryset(rule, *, today):
    """The rule's members on `today`, from the stored latest touches."""
    return Contact.objects.filter(dormant_q(rule, today=today, tz=workspace_tz()))


def dormant_queryset_as_of(rule, *, as_of, today):
    """The rule's members as of `as_of`, counting only touches on or before that day.

    Today or later reads the stored latest touches (every touch we hold is on
    or before it); an earlier day replays the events.
    """
    if as_of >= today:
        return dormant_queryset(rule, today=as_of)
    return Contact.objects.filter(dormant_as_of_q(rule, as_of=as_of, tz=workspace_tz()))


def rule_matches_for_contact(contact, *, today):
    """The active rules `contact` is a member of, each with its clauses.

    Returns [{"rule": DormancyRule, "clauses": [...]}] in rule-name order;
    two queries whatever the number of rules (plus one for the company if it
    was not selected with the contact).
    """
    tz = workspace_tz()
    touches = dict(ContactTouchSummary.objects.filter(contact=contact).values_list("kind", "last_at"))
    matches = []
    for rule in DormancyRule.objects.filter(is_active=True).order_by("name", "pk"):
        clauses = explain_membership(rule, contact, today=today, tz=tz, touches=touches)
        if is_member(clauses):
            matches.append({"rule": rule, "clauses": clauses})
    return matches


def rule_explanations_for_contact(contact, *, today):
    """Every active rule with its clauses and whether `contact` is a member.

    Returns [{"rule", "clauses", "is_member"}] in rule-name order; two
    queries, as rule_matches_for_contact.
    """
    tz = workspace_tz()
    touches = dict(ContactTouchSummary.objects.filter(contact=contact).values_list("kind", "last_at"))
    explained = []
    for rule in DormancyRule.objects.filter(is_active=True).order_by("name", "pk"):
        clauses = explain_membership(rule, contact, today=today, tz=tz, touches=touches)
        explained.append({"rule": rule, "clauses": clauses, "is_member": is_member(clauses)})
    return explained


def members_are_current(rule, *, today):
    """Whether the rule's stored members answer for `today`.

    They do when they were refreshed on `today` (workspace calendar) after
    the rule's last change: from then on every change of a contact's facts
    is applied to them as it happens (dormancy.services.rule_members_apply).
    A new day makes contacts dormant by itself, so yesterday's members never
    answer for today.
    """
    at = rule.members_refreshed_at
    return (rule.is_active and rule.member_count is not None and at is not None and at >= rule.updated_at
            and at.astimezone(workspace_tz()).date() == today)


def rule_member_count(rule, *, today):
    """The stored count when current (one row read), else counted from the facts."""
    if members_are_current(rule, today=today):
        return rule.member_count
    return dormant_queryset(rule, today=today).count()


def rule_member_counts(rules, *, today):
    """{rule id: members on `today`}: stored counts where current, the rest in one pass over contacts.

    The uncounted rules become conditional counts side by side in one
    aggregate, so a page of rules costs at most one query. A stored rule that
    no longer validates counts as None.
    """
    tz = workspace_tz()
    found, pending = {}, {}
    for rule in rules:
        if members_are_current(rule, today=today):
            found[rule.pk] = rule.member_count
            continue
        try:
            pending[f"rule_{rule.pk}"] = Count("pk", filter=dormant_q(rule, today=today, tz=tz))
        except ValidationError:
            found[rule.pk] = None
    if pending:
        counted = Contact.objects.aggregate(**pending)
        found.update({int(key[len("rule_"):]): value for key, value in counted.items()})
    return found


def rule_members_page(rule, *, today, limit=50):
    """The first `limit` members, longest silent first (never-touched contacts first)."""
    return list(dormant_queryset(rule, today=today).select_related("company")
                .order_by(F("last_touch_at").asc(nulls_first=True), "id")[:limit])


def rule_lost_reason_breakdown(rule, *, today):
    """[(lost_reason, count)] over the rule's members, one GROUP BY; "" is no reason recorded."""
    rows = (dormant_queryset(rule, today=today).order_by().values("lost_reason")
            .annotate(count=Count("id")).order_by("-count", "lost_reason"))
    return [(row["lost_reason"], row["count"]) for row in rows]


def rule_change_impact(saved_rule, definition, *, today, sample=5):
    """Who a changed definition would add and remove compared with `saved_rule`.

    `definition` is a cleaned definition; `saved_rule` None means a new rule,
    which is compared with nobody. Set-based: each side is one COUNT and one
    LIMITed query over `new.exclude(old)` (or the reverse).
    """
    tz = workspace_tz()
    fields = {field: definition[field] for field in DormancyRule.EDITABLE_FIELDS}
    new_q = dormant_q(DormancyRule(**fields), today=today, tz=tz)
    members = Contact.objects.filter(new_q)
    if saved_rule is None:
        added, removed = members, Contact.objects.none()
    else:
        old_q = dormant_q(saved_rule, today=today, tz=tz)
        added = members.exclude(old_q)
        removed = Contact.objects.filter(old_q).exclude(new_q)
    order = (F("last_touch_at").asc(nulls_first=True), "id")
    return {
        "added": added.count(),
        "removed": removed.count() if saved_rule is not None else 0,
        "total": members.count(),
        "added_examples": list(added.order_by(*order)[:sample]),
        "removed_examples": list(removed.order_by(*order)[:sample]) if saved_rule is not None else [],
    }
