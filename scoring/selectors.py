"""Read-only queries on scores: the scoring overview and the call list."""
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, F, OuterRef, Q, Value
from django.db.models.functions import Coalesce

from contacts.models import Contact
from dormancy.models import DormancyRule
from dormancy.rules import dormant_q

from .models import ContactScore

CALL_LIST_COLUMNS = (
    "id", "email", "first_name", "last_name", "first_name_kana", "last_name_kana", "title", "is_decision_maker",
    "status", "phone", "last_touch_at", "company__id", "company__name", "owner__id", "owner__username",
    "owner__first_name", "owner__last_name", "score__contact_id", "score__score", "score__is_hot",
    "score__reasons",
)


def score_totals():
    return ContactScore.objects.aggregate(scored=Count("pk"), hot=Count("pk", filter=Q(is_hot=True)))


def _flag(rule):
    return f"dormant_{rule.pk}"


def call_list(*, owner_id, today, tz):
    """Hot leads and members of any active dormancy rule, highest score first.

    Returns (queryset, rules). One set-based filter: the hot flag OR each
    active rule's dormancy filter. Each row carries one boolean per rule
    (an EXISTS on the row's own id, so a rule's joins cannot change the rows),
    which `call_list_rows` turns into the reasons shown.
    """
    rules = list(DormancyRule.objects.filter(is_active=True).order_by("name", "pk"))
    on_list = Q(score__is_hot=True)
    flags = {}
    for rule in rules:
        rule_q = dormant_q(rule, today=today, tz=tz)
        on_list |= rule_q
        flags[_flag(rule)] = ExpressionWrapper(
            Exists(Contact.objects.filter(rule_q, pk=OuterRef("pk"))), output_field=BooleanField())
    queryset = Contact.objects.select_related("company", "owner", "score").only(*CALL_LIST_COLUMNS).filter(on_list)
    if owner_id is not None:
        queryset = queryset.filter(owner_id=owner_id)
    queryset = queryset.annotate(**flags).order_by(Coalesce("score__score", Value(0.0)).desc(), F("id").desc())
    return queryset, rules


def call_list_rows(contacts, rules):
    """Attach why each contact is on the list: `hot_reasons` and `dormant_rules`."""
    rows = list(contacts)
    for contact in rows:
        score = getattr(contact, "score", None)
        contact.score_value = score.score if score else 0
        contact.is_hot = bool(score and score.is_hot)
        contact.hot_reasons = score.top_reasons if contact.is_hot else []
        contact.dormant_rules = [rule for rule in rules if getattr(contact, _flag(rule))]
    return rows
