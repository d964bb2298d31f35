"""Read-only queries on dormancy: members of a rule, and the rules a contact matches."""
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from contacts.models import Contact, ContactTouchSummary

from .models import DormancyRule
from .rules import dormant_as_of_q, dormant_q, explain_membership, is_member


def workspace_tz():
    return ZoneInfo(settings.TIME_ZONE)


def workspace_today(*, now=None):
    """Today's calendar date in the workspace time zone."""
    return (now or timezone.now()).astimezone(workspace_tz()).date()


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
