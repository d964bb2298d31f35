"""Property test: the compiled query agrees with the plain-Python reference evaluator."""
import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contacts.models import ConsentState, Contact, ContactStatus, LostReason, TouchKind
from scoring.models import ContactScore
from segments.rules import segment_q, validate_definition
from segments.rules.fields import CHOICES, FIELDS, OPERATORS, field_type

from .conftest import INDUSTRIES, KINDS, TAGS, TEXTS, TODAY, TZ, URLS, build_population
from .reference import evaluate

DAYS = st.sampled_from([0, 1, 7, 30, 90, 180, 400])
DATES = st.sampled_from(["2025-06-01", "2026-01-01", "2026-06-14", "2026-06-15", "2026-06-16", "2026-07-01"])
TEXT_VALUES = st.sampled_from(TEXTS + INDUSTRIES + ["社", "p1-", "example", "A"])
NUMBERS = st.sampled_from([0, 5, 49, 50, 51, 500])
TEXT_FIELDS = [f for f in FIELDS if FIELDS[f][0] == "text"] + ["attribute:product", "attribute:missing"]


@st.composite
def attribute_conditions(draw):
    field = draw(st.sampled_from(list(FIELDS) + ["attribute:product", "attribute:missing"]))
    kind = field_type(field)
    op = draw(st.sampled_from(sorted(OPERATORS[kind])))
    shape = OPERATORS[kind][op]
    cond = {"type": "attribute", "field": field, "op": op}
    if shape == "none":
        return cond
    if shape == "days":
        cond["value"] = draw(DAYS)
    elif kind in ("date", "datetime"):
        cond["value"] = sorted(draw(st.lists(DATES, min_size=2, max_size=2))) if shape == "pair" else draw(DATES)
    elif kind == "number":
        cond["value"] = sorted(draw(st.lists(NUMBERS, min_size=2, max_size=2))) if shape == "pair" else draw(NUMBERS)
    elif kind == "choice":
        values = st.sampled_from(CHOICES[field].values)
        cond["value"] = draw(st.lists(values, min_size=1, max_size=3)) if shape == "list" else draw(values)
    elif kind == "tag":
        cond["value"] = draw(st.sampled_from(TAGS + ["none"]))
    elif kind == "user":
        cond["value"] = [1, 2] if shape == "list" else 1
        cond["op"] = "is_empty" if op != "is_empty" and draw(st.booleans()) else op
        if cond["op"] == "is_empty":
            cond.pop("value")
    else:
        cond["value"] = draw(st.lists(TEXT_VALUES, min_size=1, max_size=3)) if shape == "list" else draw(TEXT_VALUES)
    return cond


@st.composite
def behaviour_conditions(draw):
    cond = {"type": "behaviour", "did": draw(st.booleans()), "kind": draw(st.sampled_from(KINDS + [TouchKind.CALL]))}
    if draw(st.booleans()):
        cond["url_contains"] = draw(st.sampled_from(["pricing", "/case", "PRICING"]))
    low = draw(st.sampled_from([None, 1, 2, 3]))
    high = draw(st.sampled_from([None, 0, 1, 2, 4]))
    if low is not None:
        cond["min_count"] = low
    if high is not None and (low is None or high >= low):
        cond["max_count"] = high
    window = draw(st.sampled_from(["none", "within", "between"]))
    if window == "within":
        cond["within_days"] = draw(st.sampled_from([1, 7, 30, 60]))
    elif window == "between":
        cond["between"] = sorted(draw(st.lists(st.sampled_from(["2026-03-17", "2026-05-01", "2026-06-14",
                                                                "2026-06-15"]), min_size=2, max_size=2)))
    return cond


OTHER_CONDITIONS = st.one_of(
    st.builds(lambda d: {"type": "dormant_days", "min_days": d}, DAYS),
    st.builds(lambda d: {"type": "lapse", "expiring_within_days": d}, st.sampled_from([1, 7, 30, 60])),
    st.builds(lambda d: {"type": "lapse", "lapsed_within_days": d}, st.sampled_from([1, 7, 30, 60])),
    st.builds(lambda b: {"type": "consent", "can_receive_marketing": b}, st.booleans()),
    st.builds(lambda op, v: {"type": "score", "op": op, "value": v}, st.sampled_from(["gte", "lte"]),
              st.sampled_from([-1, 0, 10, 49.5, 50, 100])),
)
SCORES = [None, 5.0, 49.5, 50.0, 120.0, -3.0]
CONDITIONS = st.one_of(attribute_conditions(), attribute_conditions(), behaviour_conditions(), OTHER_CONDITIONS)
TREES = st.recursive(
    CONDITIONS,
    lambda children: st.builds(lambda op, items: {"op": op, "items": items},
                               st.sampled_from(["and", "or"]), st.lists(children, min_size=1, max_size=3)),
    max_leaves=6,
).map(lambda node: node if "items" in node else {"op": "and", "items": [node]})


def _depth(node):
    return 1 + max((_depth(i) for i in node["items"] if "items" in i), default=0) if "items" in node else 0


@pytest.fixture
def population(db, rep, other_rep):
    build_population(seed=7, size=45, owners=(rep, other_rep))
    build_population(seed=8, size=25, owners=(rep,))
    contacts = list(Contact.objects.select_related("company").prefetch_related("tags", "events", "contracts"))
    scores = {c.pk: SCORES[i % len(SCORES)] for i, c in enumerate(contacts)}
    ContactScore.objects.bulk_create([ContactScore(contact_id=pk, score=score, computed_at=timezone.now())
                                      for pk, score in scores.items() if score is not None])
    return [(c, {"tags": {t.name for t in c.tags.all()}, "events": list(c.events.all()),
                 "contracts": list(c.contracts.all()), "score": scores[c.pk] or 0}) for c in contacts], (
        rep.pk, other_rep.pk)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                     HealthCheck.too_slow])
@given(tree=TREES)
def test_compiled_query_matches_reference_evaluator(population, tree):
    people, owner_ids = population
    _fix_owner_ids(tree, owner_ids)
    if _depth(tree) > 4:
        return
    cleaned = validate_definition(tree)
    compiled = set(Contact.objects.filter(segment_q(cleaned, today=TODAY, tz=TZ)).values_list("pk", flat=True))
    expected = {c.pk for c, facts in people if evaluate(cleaned, c, facts=facts, today=TODAY, tz=TZ)}
    assert compiled == expected, tree


def _fix_owner_ids(node, owner_ids):
    """Owner ids are only known once the personas exist: map the placeholders 1, 2 onto them."""
    if "items" in node:
        for item in node["items"]:
            _fix_owner_ids(item, owner_ids)
    elif node.get("field") == "owner" and "value" in node:
        value = node["value"]
        node["value"] = [owner_ids[v - 1] for v in value] if isinstance(value, list) else owner_ids[value - 1]


def test_generators_cover_the_allow_list():
    # Every field and every operator type can be drawn: the property test reaches them all.
    assert set(FIELDS) | {"attribute:product"} >= set(TEXT_FIELDS) - {"attribute:missing"}
    assert {ContactStatus, LostReason, ConsentState} == set(CHOICES.values())
    assert URLS and TAGS
