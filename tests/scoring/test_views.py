"""Scoring pages and the call list: content, ordering, scope, reasons, query counts, roles."""
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contacts.models import ContactStatus, TouchKind
from dormancy.models import DormancyRule
from scoring.models import ContactScore, RuleKind, ScoringRule, ScoringSettings

from .conftest import make_contact

pytestmark = pytest.mark.django_db
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def _score(contact, score, *, hot=False, reasons=()):
    return ContactScore.objects.create(contact=contact, score=score, is_hot=hot, computed_at=LONG_AGO,
                                       reasons=list(reasons))


def _dormant(owner=None, **fields):
    """Lost and added long ago, never touched: a member of the default rule."""
    return make_contact(owner=owner, status=ContactStatus.LOST, acquired_at=LONG_AGO.date(), **fields)


def _rows(response):
    return [row.pk for row in response.context["rows"]]


@pytest.fixture
def call_list_population(rep, other_rep):
    hot = make_contact(owner=rep, last_name="熱")
    _score(hot, 80, hot=True, reasons=[{"rule": 1, "name": "Pricing page", "points": 50.0},
                                       {"rule": 2, "name": "Decision maker", "points": 30.0}])
    warm_dormant = _dormant(owner=rep, last_name="眠")
    _score(warm_dormant, 12)
    cold_dormant = _dormant(owner=rep, last_name="冷")
    not_listed = make_contact(owner=rep, status=ContactStatus.CUSTOMER, acquired_at=LONG_AGO.date(),
                              last_touch_at=timezone.now())
    _score(not_listed, 40)  # scored but neither hot nor dormant
    others = _dormant(owner=other_rep, last_name="他")
    _score(others, 99, hot=True, reasons=[{"rule": 3, "name": "Meeting", "points": 99.0}])
    return {"hot": hot, "warm_dormant": warm_dormant, "cold_dormant": cold_dormant, "not_listed": not_listed,
            "others": others}


def test_rep_sees_own_hot_and_dormant_contacts_by_score(persona_client, rep, call_list_population):
    people = call_list_population
    response = persona_client(rep).get(reverse("scoring:call_list"))
    assert response.status_code == 200
    assert response.context["scope"] == "mine"
    assert _rows(response) == [people["hot"].pk, people["warm_dormant"].pk, people["cold_dormant"].pk]


def test_all_scope_adds_other_owners_contacts(persona_client, rep, call_list_population):
    people = call_list_population
    response = persona_client(rep).get(reverse("scoring:call_list"), {"scope": "all"})
    assert _rows(response) == [people["others"].pk, people["hot"].pk, people["warm_dormant"].pk,
                               people["cold_dormant"].pk]


def test_marketer_starts_on_all_contacts(persona_client, marketer, call_list_population):
    response = persona_client(marketer).get(reverse("scoring:call_list"))
    assert response.context["scope"] == "all"
    assert len(_rows(response)) == 4


def test_each_row_says_why_it_is_on_the_list(persona_client, rep, call_list_population):
    people = call_list_population
    response = persona_client(rep).get(reverse("scoring:call_list"), {"scope": "all"})
    rows = {row.pk: row for row in response.context["rows"]}
    rule = DormancyRule.objects.get(slug="default")
    hot = rows[people["hot"].pk]
    assert hot.is_hot and [r["name"] for r in hot.hot_reasons] == ["Pricing page", "Decision maker"]
    assert hot.dormant_rules == []
    assert rows[people["warm_dormant"].pk].dormant_rules == [rule]
    assert rows[people["warm_dormant"].pk].is_hot is False
    both = rows[people["others"].pk]
    assert both.is_hot and both.dormant_rules == [rule]
    html = response.content.decode()
    assert "Pricing page (+50.0)" in html
    assert rule.name in html
    assert reverse("contacts:detail", args=[people["hot"].pk]) in html


def test_every_active_dormancy_rule_counts_and_inactive_ones_do_not(persona_client, rep):
    DormancyRule.objects.filter(slug="default").update(is_active=False)
    DormancyRule.objects.create(name="Customers gone quiet", slug="quiet-customers", inactivity_days=30,
                                touch_kinds=[TouchKind.MEETING], conditions={"match": "any", "items": []},
                                scope=[{"field": "status", "op": "eq", "value": "customer"}])
    DormancyRule.objects.create(name="Inactive", slug="inactive", inactivity_days=1, is_active=False,
                                touch_kinds=[TouchKind.MEETING], conditions={"match": "any", "items": []})
    quiet = make_contact(owner=rep, status=ContactStatus.CUSTOMER, acquired_at=LONG_AGO.date())
    make_contact(owner=rep, status=ContactStatus.LEAD, acquired_at=LONG_AGO.date())
    response = persona_client(rep).get(reverse("scoring:call_list"))
    assert _rows(response) == [quiet.pk]
    assert [rule.slug for rule in response.context["rows"][0].dormant_rules] == ["quiet-customers"]


def _page_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, {"scope": "all"})
    assert response.status_code == 200
    return len(captured), len(response.context["rows"])


def test_call_list_query_count_is_constant_per_page(persona_client, rep, other_rep, django_assert_num_queries):
    client = persona_client(rep)
    url = reverse("scoring:call_list")
    for i in range(3):
        _score(_dormant(owner=rep if i % 2 else other_rep), i, hot=bool(i % 2),
               reasons=[{"rule": 1, "name": "x", "points": float(i)}])
    few = _page_queries(client, url)
    for i in range(30):
        _score(_dormant(owner=rep if i % 2 else other_rep), i, hot=bool(i % 2),
               reasons=[{"rule": 1, "name": "x", "points": float(i)}])
    many = _page_queries(client, url)
    assert (few[1], many[1]) == (3, 33)
    assert few[0] == many[0]
    # session, user, roles, active dormancy rules, capped count, page, open call tasks (campaigns' template tag)
    with django_assert_num_queries(7):
        client.get(url, {"scope": "all", "page": 1})


def test_call_list_is_paginated(persona_client, rep):
    for _ in range(51):
        _dormant(owner=rep)
    response = persona_client(rep).get(reverse("scoring:call_list"), {"page": 2})
    assert len(response.context["rows"]) == 1
    assert response.context["paginator"].count == 51


# -- scoring admin pages ------------------------------------------------------

def test_admin_creates_a_touch_rule(persona_client, admin_user):
    response = persona_client(admin_user).post(reverse("scoring:rule_new"), {
        "name": "Pricing", "kind": "touch", "touch_kind": "page_view", "url_contains": "/pricing",
        "attribute": "", "value": "ignored", "points": "20", "is_active": "on",
    })
    assert response.status_code == 302
    rule = ScoringRule.objects.get()
    assert (rule.kind, rule.touch_kind, rule.url_contains, rule.points, rule.value) == (
        RuleKind.TOUCH, "page_view", "/pricing", 20, "")


def test_attribute_rule_needs_a_valid_status(persona_client, admin_user):
    response = persona_client(admin_user).post(reverse("scoring:rule_new"), {
        "name": "Bad", "kind": "attribute", "attribute": "status", "value": "nonsense", "points": "5",
    })
    assert response.status_code == 200
    assert "value" in response.context["form"].errors
    assert not ScoringRule.objects.exists()


def test_admin_edits_and_deletes_a_rule(persona_client, admin_user):
    rule = ScoringRule.objects.create(name="Old", kind=RuleKind.ATTRIBUTE, attribute="is_decision_maker", points=5)
    client = persona_client(admin_user)
    client.post(reverse("scoring:rule_edit", args=[rule.pk]), {
        "name": "Big", "kind": "attribute", "attribute": "employees_at_least", "min_employees": "500",
        "points": "8", "is_active": "on",
    })
    rule.refresh_from_db()
    assert (rule.name, rule.attribute, rule.min_employees, rule.points) == ("Big", "employees_at_least", 500, 8)
    assert client.post(reverse("scoring:rule_delete", args=[rule.pk])).status_code == 302
    assert not ScoringRule.objects.exists()


def test_marketer_views_scoring_but_cannot_change_it(persona_client, marketer):
    rule = ScoringRule.objects.create(name="Keep", kind=RuleKind.TOUCH, touch_kind="call", points=5)
    client = persona_client(marketer)
    response = client.get(reverse("scoring:home"))
    assert response.status_code == 200
    assert "Keep" in response.content.decode()
    assert reverse("scoring:rule_edit", args=[rule.pk]) not in response.content.decode()
    assert client.post(reverse("scoring:rule_delete", args=[rule.pk])).status_code == 403
    assert client.post(reverse("scoring:settings"), {"half_life_days": "5", "hot_threshold": "1"}).status_code == 403
    with mock.patch("scoring.tasks.scores_recompute.delay") as delay:
        assert client.post(reverse("scoring:recompute")).status_code == 403
    delay.assert_not_called()
    assert ScoringRule.objects.filter(pk=rule.pk).exists()
    assert not ScoringSettings.objects.filter(half_life_days=5).exists()


def test_settings_validate_the_hot_rule_tree(persona_client, admin_user):
    client = persona_client(admin_user)
    response = client.post(reverse("scoring:settings"), {
        "half_life_days": "14", "hot_threshold": "40",
        "hot_rule": '{"op": "and", "items": [{"type": "dormancy", "rule": "no-such-rule"}]}',
    })
    assert response.status_code == 200
    assert "no-such-rule" in str(response.context["form"].errors["hot_rule"])
    tree = {"op": "and", "items": [{"type": "dormancy", "rule": "default"}]}
    response = client.post(reverse("scoring:settings"), {
        "half_life_days": "14", "hot_threshold": "40", "hot_rule": '{"op": "and", "items": '
                                                                   '[{"type": "dormancy", "rule": "default"}]}',
    })
    assert response.status_code == 302
    settings = ScoringSettings.load()
    assert (settings.half_life_days, settings.hot_threshold, settings.hot_rule) == (14, 40, tree)


def test_recompute_button_enqueues_after_commit(persona_client, admin_user, django_capture_on_commit_callbacks):
    with mock.patch("scoring.tasks.scores_recompute.delay") as delay:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = persona_client(admin_user).post(reverse("scoring:recompute"))
    assert response.status_code == 302
    assert len(callbacks) == 1
    delay.assert_called_once_with()


def test_nav_shows_call_list_to_everyone_and_scoring_to_admins(persona_client, rep, admin_user):
    rep_page = persona_client(rep).get(reverse("scoring:call_list")).content.decode()
    assert reverse("scoring:call_list") in rep_page and reverse("scoring:home") not in rep_page
    admin_page = persona_client(admin_user).get(reverse("scoring:call_list")).content.decode()
    assert reverse("scoring:home") in admin_page
