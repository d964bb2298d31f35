"""Each operator and condition type, on hand-made contacts with exact expected members."""
from datetime import timedelta

import pytest
from django.utils import timezone

from contacts.models import Company, Contact, Contract, ContractStatus, Tag, TouchKind
from dormancy.models import DormancyRule
from scoring.models import ContactScore
from segments.rules import segment_q, validate_definition

from .conftest import TODAY, TZ, at, make_event

pytestmark = pytest.mark.django_db


def members(*items, op="and"):
    tree = validate_definition({"op": op, "items": list(items)})
    return set(Contact.objects.filter(segment_q(tree, today=TODAY, tz=TZ)).values_list("email", flat=True))


def attr(field, op, value=None):
    cond = {"type": "attribute", "field": field, "op": op}
    if value is not None:
        cond["value"] = value
    return cond


@pytest.fixture
def people(rep):
    big = Company.objects.create(name="大手商事", industry="IT", employee_count=500)
    small = Company.objects.create(name="Small KK", industry="", employee_count=None)
    taro = Contact.objects.create(email="taro@example.co.jp", last_name="山田", first_name="太郎",
                                  title="Sales Manager",
                                  is_decision_maker=True, status="lost", lost_reason="competitor", company=big,
                                  acquired_at=TODAY - timedelta(days=400), consent="opt_in", owner=rep,
                                  deal_stage_changed_at=TODAY - timedelta(days=10),
                                  last_touch_at=at(TODAY - timedelta(days=200)), attributes={"plan": "Gold"})
    hana = Contact.objects.create(email="hana@example.com", last_name="佐藤", title="", status="customer",
                                  company=small, acquired_at=TODAY - timedelta(days=5), consent="opted_out",
                                  last_touch_at=at(TODAY, 0, 5), attributes={"plan": ""})
    nobody = Contact.objects.create(email="nobody@example.org", status="lead")
    taro.tags.add(Tag.objects.create(name="vip"))
    return taro, hana, nobody


T, H, N = "taro@example.co.jp", "hana@example.com", "nobody@example.org"


@pytest.mark.parametrize("cond, expected", [
    (attr("email", "equals", T), {T}),
    (attr("email", "not_equals", T), {H, N}),
    (attr("email", "in", [T, N]), {T, N}),
    (attr("title", "contains", "MANAGER"), {T}),
    (attr("email", "starts_with", "HANA@"), {H}),
    (attr("title", "is_empty"), {H, N}),
    (attr("title", "is_not_empty"), {T}),
    (attr("company.name", "equals", "大手商事"), {T}),
    (attr("company.name", "not_equals", "大手商事"), {H, N}),
    (attr("company.industry", "is_empty"), {H, N}),
    (attr("company.industry", "is_not_empty"), {T}),
    (attr("attribute:plan", "equals", "Gold"), {T}),
    (attr("attribute:plan", "not_equals", "Gold"), {H, N}),
    (attr("attribute:plan", "is_empty"), {H, N}),
    (attr("attribute:plan", "contains", "ol"), {T}),
    (attr("attribute:x' OR 1=1 --", "equals", "Gold"), set()),
    (attr("company.employee_count", "equals", 500), {T}),
    (attr("company.employee_count", "gt", 499), {T}),
    (attr("company.employee_count", "lt", 500), set()),
    (attr("company.employee_count", "between", [100, 500]), {T}),
    (attr("company.employee_count", "is_empty"), {H, N}),
    (attr("acquired_at", "before", (TODAY - timedelta(days=5)).isoformat()), {T}),
    (attr("acquired_at", "after", (TODAY - timedelta(days=6)).isoformat()), {H}),
    (attr("acquired_at", "between", [(TODAY - timedelta(days=400)).isoformat(), TODAY.isoformat()]), {T, H}),
    (attr("acquired_at", "within_last_days", 5), {H}),
    (attr("acquired_at", "within_last_days", 4), set()),
    (attr("acquired_at", "more_than_days_ago", 399), {T}),
    (attr("acquired_at", "more_than_days_ago", 400), set()),
    (attr("acquired_at", "is_empty"), {N}),
    (attr("deal_stage_changed_at", "within_last_days", 10), {T}),
    (attr("last_touch_at", "within_last_days", 0), {H}),  # 00:05 Tokyo today is still today
    (attr("last_touch_at", "before", TODAY.isoformat()), {T}),
    (attr("last_touch_at", "after", (TODAY - timedelta(days=1)).isoformat()), {H}),
    (attr("last_touch_at", "more_than_days_ago", 199), {T}),
    (attr("last_touch_at", "more_than_days_ago", 200), set()),
    (attr("last_touch_at", "is_empty"), {N}),
    (attr("is_decision_maker", "is_true"), {T}),
    (attr("is_decision_maker", "is_false"), {H, N}),
    (attr("status", "equals", "lost"), {T}),
    (attr("status", "in", ["customer", "lead"]), {H, N}),
    (attr("lost_reason", "equals", "competitor"), {T}),
    (attr("consent", "in", ["opted_out", "none"]), {H, N}),
    (attr("tag", "has", "vip"), {T}),
    (attr("tag", "has_not", "vip"), {H, N}),
    ({"type": "consent", "can_receive_marketing": True}, {T}),
    ({"type": "consent", "can_receive_marketing": False}, {H, N}),
])
def test_each_operator(people, cond, expected):
    assert members(cond) == expected


def test_owner_operators(people, rep):
    assert members(attr("owner", "equals", rep.pk)) == {T}
    assert members(attr("owner", "in", [rep.pk])) == {T}
    assert members(attr("owner", "is_empty")) == {H, N}


def test_last_touch_at_midnight_in_tokyo_belongs_to_that_tokyo_day(people):
    # 2026-06-14 15:30 UTC is 2026-06-15 00:30 in Tokyo: today there, yesterday in UTC.
    Contact.objects.filter(email=N).update(last_touch_at=at(TODAY, 0, 30))
    assert members(attr("last_touch_at", "within_last_days", 0)) == {H, N}
    assert members(attr("last_touch_at", "before", TODAY.isoformat())) == {T}


def test_and_or_nested_two_levels(people):
    tree = [attr("status", "in", ["lost", "customer"]),
            {"op": "or", "items": [attr("tag", "has", "vip"),
                                   {"op": "and", "items": [attr("company.employee_count", "is_empty"),
                                                           attr("email", "contains", "hana")]}]}]
    assert members(*tree) == {T, H}
    assert members(*tree, op="or") == {T, H}
    tree[1]["items"][1]["items"][1] = attr("email", "contains", "nobody")
    assert members(*tree) == {T}


class TestBehaviour:
    @pytest.fixture
    def visits(self, people):
        taro, hana, _nobody = people
        make_event(taro, TouchKind.PAGE_VIEW, at(TODAY - timedelta(days=3)), url="https://ex.jp/pricing")
        make_event(taro, TouchKind.PAGE_VIEW, at(TODAY - timedelta(days=29)), url="https://ex.jp/Pricing/plans")
        make_event(taro, TouchKind.PAGE_VIEW, at(TODAY - timedelta(days=31)), url="https://ex.jp/pricing")
        make_event(hana, TouchKind.PAGE_VIEW, at(TODAY - timedelta(days=1)), url="https://ex.jp/pricing", bot=True)
        make_event(hana, TouchKind.PAGE_VIEW, at(TODAY - timedelta(days=1)), url="https://ex.jp/blog")
        make_event(hana, TouchKind.EMAIL_CLICK, at(TODAY - timedelta(days=40)))

    def behaviour(self, **kw):
        return {"type": "behaviour", "did": True, "kind": "page_view", **kw}

    def test_did_within_days_with_url(self, visits):
        assert members(self.behaviour(url_contains="/pricing", within_days=30)) == {T}
        assert members(self.behaviour(within_days=30)) == {T, H}

    def test_bot_flagged_events_do_not_count(self, visits):
        assert members(self.behaviour(url_contains="pricing", within_days=2)) == set()

    def test_counts(self, visits):
        assert members(self.behaviour(url_contains="pricing", min_count=2, within_days=30)) == {T}
        assert members(self.behaviour(url_contains="pricing", min_count=3)) == {T}
        assert members(self.behaviour(url_contains="pricing", min_count=4)) == set()
        assert members(self.behaviour(url_contains="pricing", max_count=1, within_days=30)) == {H, N}
        assert members(self.behaviour(min_count=1, max_count=2, within_days=30)) == {T, H}

    def test_did_not(self, visits):
        assert members(self.behaviour(did=False, url_contains="pricing", within_days=30)) == {H, N}

    def test_between_dates(self, visits):
        window = [(TODAY - timedelta(days=31)).isoformat(), (TODAY - timedelta(days=29)).isoformat()]
        assert members(self.behaviour(between=window, min_count=2)) == {T}
        assert members({"type": "behaviour", "did": True, "kind": "email_click", "between": window}) == set()


def test_dormancy_rule_and_dormant_days(people):
    DormancyRule.objects.update_or_create(slug="default", defaults={
        "name": "Default", "inactivity_days": 180, "touch_kinds": list(TouchKind.values),
        "conditions": {"match": "any", "items": [{"type": "lost"}]}, "scope": [], "is_active": True})
    assert members({"type": "dormancy", "rule": "default"}) == {T}
    assert members({"type": "dormant_days", "min_days": 200}) == {T}
    assert members({"type": "dormant_days", "min_days": 201}) == set()


def test_lapse_conditions(people):
    taro, hana, nobody = people
    Contract.objects.create(contact=taro, external_id="A", expires_at=TODAY + timedelta(days=30))
    Contract.objects.create(contact=hana, external_id="B", expires_at=TODAY - timedelta(days=7),
                            status=ContractStatus.LAPSED)
    Contract.objects.create(contact=nobody, external_id="C", expires_at=TODAY + timedelta(days=3),
                            status=ContractStatus.RENEWED)
    assert members({"type": "lapse", "expiring_within_days": 30}) == {T}
    assert members({"type": "lapse", "expiring_within_days": 29}) == set()
    assert members({"type": "lapse", "lapsed_within_days": 7}) == {H}
    assert members({"type": "lapse", "lapsed_within_days": 6}) == set()


def test_three_condition_segment_sql_binds_user_text(people):
    tree = validate_definition({"op": "and", "items": [
        attr("company.industry", "equals", "IT'); DROP TABLE contacts_contact; --"),
        {"type": "behaviour", "did": True, "kind": "page_view", "url_contains": "/pricing%' OR '1'='1",
         "within_days": 30},
        attr("attribute:evil') --", "equals", "x"),
    ]})
    queryset = Contact.objects.filter(segment_q(tree, today=TODAY, tz=TZ))
    sql, params = queryset.query.sql_with_params()
    assert "DROP TABLE" not in sql and "OR '1'='1" not in sql and "evil" not in sql
    assert list(queryset) == []
    assert Contact.objects.count() == 3


def test_score_conditions_treat_no_stored_score_as_zero(people):
    taro, hana, _nobody = people
    ContactScore.objects.create(contact=taro, score=50, computed_at=timezone.now())
    ContactScore.objects.create(contact=hana, score=12.5, computed_at=timezone.now())
    assert members({"type": "score", "op": "gte", "value": 50}) == {T}
    assert members({"type": "score", "op": "gte", "value": 50.5}) == set()
    assert members({"type": "score", "op": "lte", "value": 12.5}) == {H, N}
    assert members({"type": "score", "op": "lte", "value": -1}) == set()
    assert members({"type": "score", "op": "gte", "value": 0}) == {T, H, N}
